/**
 * Documents → what the model is asked: for each item of a task, its context text (few-shot
 * examples + the rendered prompt), its continuations (choices, cloze target) or references, and
 * its gold answer. Pure: no model, no tokenizer.
 *
 * Few-shot (lm-evaluation-harness's layout): `ex1 + fewshot_delimiter + ex2 + … +
 * fewshot_delimiter + prompt`, each example being `doc_to_text(ex) + target_delimiter + target`.
 * Examples come from the same data file, never the item itself, drawn by a PRNG seeded with
 * (seed, doc_id): an item's examples do not depend on --limit, --batch-size or other items.
 */
import { LlmError } from '../errors.js'
import { Rng } from '../rng.js'
import { goldIndex, readDocs, readText, stringField, stringListField, field, type SourcedDoc } from './data.js'
import { hellaswagPreprocess, render, wikitextArticles } from './template.js'
import type { TaskSpec } from './tasks.js'

export interface ChoiceInstance { docId: number; context: string; choices: string[]; gold: number; where: string }
export interface ClozeInstance { docId: number; context: string; target: string; where: string }
export interface GenerateInstance { docId: number; prompt: string; references: string[]; where: string }
export interface TextInstance { docId: number; text: string; where: string }

export type Instances =
  | { type: 'multiple_choice'; items: ChoiceInstance[]; total: number }
  | { type: 'cloze'; items: ClozeInstance[]; total: number }
  | { type: 'generate'; items: GenerateInstance[]; total: number }
  | { type: 'perplexity'; items: TextInstance[]; total: number }

export interface InstanceOptions {
  limit?: number
  numFewshot?: number
  seed?: number
}

/** Distinct indices in [0, n) other than `exclude`, k of them, seeded by (seed, docId). */
export function sampleFewshot(n: number, k: number, exclude: number, seed: number, docId: number): number[] {
  if (k === 0) return []
  if (k > n - 1) throw new LlmError(`cannot draw ${k} few-shot examples from ${n - 1} other items`, { where: '--num-fewshot' })
  // one stream per (seed, item): mixing the two keeps seeds s and s+1 from sharing streams
  const rng = Rng.fromSeed(((seed % 2 ** 26) * 2 ** 26 + (docId % 2 ** 26)) % Number.MAX_SAFE_INTEGER)
  const picked: number[] = []
  const seen = new Set<number>([exclude])
  while (picked.length < k) {
    const i = Math.floor(rng.next() * n)
    if (!seen.has(i)) { seen.add(i); picked.push(i) }
  }
  return picked
}

export function buildInstances(task: TaskSpec, opts: InstanceOptions = {}): Instances {
  if (task.type === 'translation') throw new LlmError('translation tasks run with a translator (eval/translation.ts runTranslationTask)', { where: task.source })
  const k = opts.numFewshot ?? task.numFewshot
  const seed = opts.seed ?? 1234
  if (task.type === 'perplexity') {
    const items = textDocs(task)
    return { type: 'perplexity', items: items.slice(0, opts.limit ?? items.length), total: items.length }
  }
  const docs = readDocs(task.data)
  if (docs.length === 0) throw new LlmError('the data file has no items', { where: task.data })
  const n = opts.limit === undefined ? docs.length : Math.min(opts.limit, docs.length)
  const pre = task.preprocess === 'hellaswag' ? hellaswagPreprocess : (s: string): string => s
  const text = (d: SourcedDoc): string => pre(render(task.docToText, d))

  // what an example contributes as its answer in a few-shot prompt
  const choicesOf = (d: SourcedDoc): string[] => stringListField(d, task.choicesField ?? 'choices').map(pre)
  const targetOf = (d: SourcedDoc): string => {
    if (task.type === 'multiple_choice') { const c = choicesOf(d); return c[goldIndex(d, task.goldField ?? 'gold', c)]! }
    if (task.type === 'generate') return referencesOf(task, d)[0]!
    return render(task.docToTarget ?? '{{continuation}}', d)
  }
  const withFewshot = (docId: number): string => {
    const shots = sampleFewshot(docs.length, k, docId, seed, docId)
      .map((i) => text(docs[i]!) + task.targetDelimiter + targetOf(docs[i]!))
    const prompt = text(docs[docId]!)
    return shots.length ? shots.join(task.fewshotDelimiter) + task.fewshotDelimiter + prompt : prompt
  }

  const ids = Array.from({ length: n }, (_, i) => i)
  switch (task.type) {
    case 'multiple_choice':
      return {
        type: 'multiple_choice', total: docs.length,
        items: ids.map((i) => {
          const d = docs[i]!
          const choices = choicesOf(d)
          return { docId: i, context: withFewshot(i), choices, gold: goldIndex(d, task.goldField ?? 'gold', choices), where: d.where }
        }),
      }
    case 'cloze':
      return { type: 'cloze', total: docs.length, items: ids.map((i) => ({ docId: i, context: withFewshot(i), target: targetOf(docs[i]!), where: docs[i]!.where })) }
    case 'classification':
      throw new LlmError('classification tasks are run by eval/classification.ts, not built here', { where: task.source })
    case 'generate':
      return { type: 'generate', total: docs.length, items: ids.map((i) => ({ docId: i, prompt: withFewshot(i), references: referencesOf(task, docs[i]!), where: docs[i]!.where })) }
    case 'summarization':
      throw new LlmError('summarization items are built by tasks/summarization.ts', { where: task.source })
  }
}

function referencesOf(task: TaskSpec, d: SourcedDoc): string[] {
  if (task.referencesField) {
    const v = field(d, task.referencesField)
    if (typeof v === 'string') return [v]
    return stringListField(d, task.referencesField)
  }
  return [render(task.docToTarget ?? '{{completion}}', d)]
}

/** Perplexity documents: a whole text file, JSONL `text` fields, or WikiText articles. */
function textDocs(task: TaskSpec): TextInstance[] {
  if (task.textFormat === 'jsonl') {
    return readDocs(task.data).map((d, i) => ({ docId: i, text: stringField(d, task.textField ?? 'text'), where: d.where }))
  }
  const raw = readText(task.data)
  if (task.textFormat === 'wikitext') return wikitextArticles(raw).map((text, i) => ({ docId: i, text, where: `${task.data}[article ${i}]` }))
  if (raw.length === 0) throw new LlmError('the text file is empty', { where: task.data })
  return [{ docId: 0, text: raw, where: task.data }]
}
