/**
 * The `classification` task type: a labelled file ({text, label} per JSONL line, or the fields
 * named by text_field / gold_field) scored by `llm classify`'s zero/few-shot classifier
 * (label log-likelihood, contextual calibration on). Metrics: acc and macro_f1.
 * Labels are the task's `labels`, else every distinct gold label in order of first appearance.
 */
import { classify } from '../classify/classify.js'
import type { Model } from '../model/load.js'
import { aggregate, type SampleRecord, type TaskResult } from './aggregate.js'
import { readDocs, stringField } from './data.js'
import type { RunOptions } from './runner.js'
import type { TaskSpec } from './tasks.js'
import { LlmError } from '../errors.js'

export async function runClassificationTask(model: Model, task: TaskSpec, opts: RunOptions = {}): Promise<TaskResult> {
  const docs = readDocs(task.data)
  if (docs.length === 0) throw new LlmError('the data file has no items', { where: task.data })
  const textField = task.textField ?? 'text'
  const goldField = task.goldField ?? 'label'
  const all = docs.map((d) => ({ text: stringField(d, textField), gold: String(d.doc[goldField] ?? stringField(d, goldField)), where: d.where }))
  const labels = task.labels ?? [...new Set(all.map((x) => x.gold))]
  for (const x of all) if (!labels.includes(x.gold)) throw new LlmError(`gold label '${x.gold}' is not one of the task's labels (${labels.join(', ')})`, { where: x.where })
  const items = all.slice(0, opts.limit ?? all.length)
  const results = await classify(model, items.map((x) => x.text), {
    labels, template: task.docToText && task.docToText !== '{{query}}' ? task.docToText : undefined, batchSize: opts.batchSize, maxLength: opts.maxLength, onProgress: opts.onProgress,
  })
  const samples: SampleRecord[] = items.map((x, i) => ({
    doc_id: i, where: x.where, arguments: [[x.text, '']], loglikelihoods: labels.map((l) => results[i]!.loglikelihoods[l]!),
    choices: labels, gold: labels.indexOf(x.gold), prediction: labels.indexOf(results[i]!.label as string),
  }))
  return aggregate(task, samples, all.length)
}
