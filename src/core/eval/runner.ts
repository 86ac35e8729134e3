/**
 * Run one task on a loaded model: build the items, turn them into log-likelihood requests (or
 * generations), score them, and compute per-item and aggregate metrics.
 *
 * Tokenization follows lm-evaluation-harness's `_encode_pair`: trailing whitespace of the
 * context moves to the continuation, the continuation's ids are `encode(context + continuation)`
 * minus the first |encode(context)| ids. Unlike lm-eval's default for most models, every context
 * starts with the model's BOS (EOS when it has none), as the model saw in training; perplexity
 * windows start from the same token. A model with neither (a char-level model such as the bundled
 * one, trained on raw text as nanoGPT does) sees contexts as they are, and perplexity then
 * predicts each document from its second token on, as nanoGPT's validation loss does.
 */
import { LlmError } from '../errors.js'
import type { Model } from '../model/load.js'
import { generateWithModel } from '../generate/generator.js'
import { buildInstances, type InstanceOptions } from './instances.js'
import { rollingWindows, scoreLoglikelihood, type LoglikelihoodRequest, type LoglikelihoodResult } from './scorer.js'
import type { TaskSpec } from './tasks.js'
import { aggregate, type SampleRecord, type TaskResult } from './aggregate.js'
import { runClassificationTask } from './classification.js'
import { runSummarizationTask } from './tasks/summarization.js'

export interface RunOptions extends InstanceOptions {
  batchSize?: number
  /** the model's context (default: config.json's max_position_embeddings, else 2048) */
  maxLength?: number
  /** progress: done/total units (requests or generations) */
  onProgress?: (done: number, total: number) => void
}

/** The context length scoring uses: --max-length, else config.json's max_position_embeddings, else 2048. */
export function evalMaxLength(model: Model, given?: number): number {
  return given ?? model.folder.contextLength ?? 2048
}

/** The token every context starts with: BOS, else EOS; undefined when the model has neither. */
export function prefixToken(model: Model): number | undefined {
  return model.folder.bosTokenId ?? model.tokenizer.bosTokenId ?? model.eosTokenIds[0] ?? model.tokenizer.eosTokenId
}

/** (context, continuation) text → ids, lm-eval's _encode_pair plus a leading BOS. */
export function encodePair(model: Model, context: string, continuation: string, bos: number | undefined): LoglikelihoodRequest {
  const spaces = context.length - context.trimEnd().length
  if (spaces > 0) {
    continuation = context.slice(context.length - spaces) + continuation
    context = context.slice(0, context.length - spaces)
  }
  const enc = (s: string): number[] => model.tokenizer.encode(s, { addSpecialTokens: false })
  const whole = enc(context + continuation)
  const ctx = enc(context)
  return { context: bos === undefined ? ctx : [bos, ...ctx], continuation: whole.slice(ctx.length) }
}

export async function runTask(model: Model, task: TaskSpec, opts: RunOptions = {}): Promise<TaskResult> {
  if (task.type === 'classification') return runClassificationTask(model, task, opts)
  if (task.type === 'summarization') return runSummarizationTask(model, task, opts)
  const inst = buildInstances(task, opts)
  const maxLength = evalMaxLength(model, opts.maxLength)
  const bos = prefixToken(model)
  const score = (reqs: LoglikelihoodRequest[]): Promise<LoglikelihoodResult[]> =>
    scoreLoglikelihood(model.decoder, reqs, { batchSize: opts.batchSize, maxLength, onProgress: opts.onProgress })
  const samples: SampleRecord[] = []
  const text = (ids: readonly number[]): string => model.tokenizer.decode(ids)

  if (inst.type === 'multiple_choice') {
    const reqs = inst.items.flatMap((it) => it.choices.map((c) => encodePair(model, it.context, task.targetDelimiter + c, bos)))
    checkContinuations(reqs, inst.items.flatMap((it) => it.choices.map(() => it.where)))
    const res = await score(reqs)
    let r = 0
    for (const it of inst.items) {
      const lls = it.choices.map(() => res[r++]!.loglikelihood)
      samples.push({
        doc_id: it.docId, where: it.where,
        arguments: it.choices.map((c) => [it.context, task.targetDelimiter + c]),
        loglikelihoods: lls, choices: it.choices, gold: it.gold,
      })
    }
  } else if (inst.type === 'cloze') {
    const reqs = inst.items.map((it) => encodePair(model, it.context, task.targetDelimiter + it.target, bos))
    checkContinuations(reqs, inst.items.map((it) => it.where))
    const res = await score(reqs)
    inst.items.forEach((it, i) => {
      samples.push({ doc_id: it.docId, where: it.where, arguments: [[it.context, task.targetDelimiter + it.target]], loglikelihoods: [res[i]!.loglikelihood], is_greedy: res[i]!.isGreedy, gold: it.target })
    })
  } else if (inst.type === 'perplexity') {
    const docs = inst.items.map((it) => ({ it, tokens: model.tokenizer.encode(it.text, { addSpecialTokens: false }) }))
    // without a BOS/EOS the first token has nothing to be predicted from: it starts the context
    const windows = docs.map((d) => bos === undefined ? rollingWindows(d.tokens.slice(1), d.tokens[0] ?? 0, maxLength) : rollingWindows(d.tokens, bos, maxLength))
    const res = await score(windows.flat())
    let w = 0
    docs.forEach((d, i) => {
      let ll = 0
      for (let k = 0; k < windows[i]!.length; k++) ll += res[w++]!.loglikelihood
      samples.push({
        doc_id: d.it.docId, where: d.it.where, arguments: windows[i]!.map((win) => [text(win.context), text(win.continuation)]),
        loglikelihoods: [ll], tokens: windows[i]!.reduce((n, win) => n + win.continuation.length, 0), words: d.it.text.split(/\s+/).length, bytes: Buffer.byteLength(d.it.text, 'utf8'),
      })
    })
  } else {
    let done = 0
    for (const it of inst.items) {
      const r = await generateWithModel(model, it.prompt, {
        maxTokens: task.generation.maxTokens, sampling: { temperature: 0 }, stop: task.generation.until, onOverflow: 'truncate',
      })
      samples.push({ doc_id: it.docId, where: it.where, arguments: [[it.prompt, '']], loglikelihoods: [], prediction: r.text, references: it.references })
      opts.onProgress?.(++done, inst.items.length)
    }
  }
  return aggregate(task, samples, inst.total)
}

function checkContinuations(reqs: readonly LoglikelihoodRequest[], where: readonly string[]): void {
  reqs.forEach((r, i) => {
    if (r.continuation.length === 0) throw new LlmError('a continuation tokenizes to nothing', { where: where[i], hint: 'empty choice or target text?' })
    if (r.context.length === 0) throw new LlmError('the context is empty and the model has no BOS or EOS token to start from', { where: where[i], hint: 'give every item some context text' })
  })
}
