/**
 * The `summarization` task type of `llm eval`: each document goes through `llm summarize`'s
 * pipeline (so documents longer than the context are chunked, never cut), and the summary is
 * scored against the reference with ROUGE-1/2/L F-measure (×100, averaged over items).
 *
 * Data: JSONL {document, summary} (or any fields: doc_to_text / doc_to_target templates, or
 * --context-field / --target-field). A task file may add
 *   summarize: { method: auto|extractive|abstractive, strategy: …, length: short|medium|long,
 *                max_words: N, sentences: N, algorithm: lexrank|textrank|lead, unwrap: tldr }
 * `unwrap: tldr` reads the {prompt, completion} TL;DR wrappers of ../shared/data/summarization:
 * the article is the prompt without its instruction line ("…Article: ") or its trailing
 * "TL;DR:" cue and "..." cut mark, the reference is the completion without <|endoftext|>.
 * Abstractive runs are greedy (temperature 0).
 * This file is light (eval's command imports the task list at start-up): the summarizer loads
 * when a task runs.
 */
import { LlmError } from '../../errors.js'
import type { Model } from '../../model/load.js'
import { aggregate, type SampleRecord, type TaskResult } from '../aggregate.js'
import { readDocs } from '../data.js'
import { render } from '../template.js'
import type { TaskSpec } from '../tasks.js'

export const SUMMARIZATION_METRICS = ['rouge1', 'rouge2', 'rougeL']

export interface SummarizeTaskSettings {
  method?: 'auto' | 'extractive' | 'abstractive'
  strategy?: 'auto' | 'stuff' | 'map-reduce' | 'refine' | 'tree'
  length?: 'short' | 'medium' | 'long'
  maxWords?: number
  sentences?: number
  algorithm?: 'lexrank' | 'textrank' | 'lead'
  unwrap?: 'tldr'
}

/** Built-in summarization tasks over ../shared/data/summarization (smoke sets from training splits). */
export const SUMMARIZATION_BUILTINS = {
  cnn_dailymail_summarize: {
    name: 'cnn_dailymail_summarize', type: 'summarization' as const, path: 'summarization/cnn_dailymail_3_0_0_tldr_summary.jsonl',
    docToText: '{{prompt}}', docToTarget: '{{completion}}', metrics: SUMMARIZATION_METRICS, summarize: { unwrap: 'tldr' as const, sentences: 3 },
  },
  xsum_summarize: {
    name: 'xsum_summarize', type: 'summarization' as const, path: 'summarization/xsum_DOC_tldr.jsonl',
    docToText: '{{prompt}}', docToTarget: '{{completion}}', metrics: SUMMARIZATION_METRICS, summarize: { unwrap: 'tldr' as const, sentences: 1 },
  },
}

/** the fields that make a bare JSONL file a summarization task */
export const SUMMARIZATION_FIELDS = ['document', 'summary']

const ENUMS: Record<string, readonly string[]> = {
  method: ['auto', 'extractive', 'abstractive'], strategy: ['auto', 'stuff', 'map-reduce', 'refine', 'tree'],
  length: ['short', 'medium', 'long'], algorithm: ['lexrank', 'textrank', 'lead'], unwrap: ['tldr'],
}

/** A task file's `summarize:` mapping, checked. */
export function parseSummarizeSettings(v: unknown, file: string): SummarizeTaskSettings | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw new LlmError("'summarize' must be a mapping", { where: file })
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k in ENUMS) {
      if (typeof x !== 'string' || !ENUMS[k]!.includes(x)) throw new LlmError(`summarize.${k} must be one of ${ENUMS[k]!.join(', ')}`, { where: file })
      out[k] = x
    } else if (k === 'max_words' || k === 'sentences') {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw new LlmError(`summarize.${k} must be an integer >= 1`, { where: file })
      out[k === 'max_words' ? 'maxWords' : k] = x
    } else {
      throw new LlmError(`unknown key 'summarize.${k}'`, { where: file, hint: `keys: ${[...Object.keys(ENUMS), 'max_words', 'sentences'].join(', ')}` })
    }
  }
  return out as SummarizeTaskSettings
}

/** The article of a TL;DR {prompt} wrapper. */
export function unwrapTldrPrompt(prompt: string): string {
  let s = prompt
  const at = s.indexOf('Article: ')
  if (at !== -1 && at < 400) s = s.slice(at + 'Article: '.length)
  s = s.replace(/\s*TL;DR:\s*$/, '')
  return s.replace(/\.\.\.\s*$/, '').trim()
}

/** The reference of a TL;DR {completion}. */
export function unwrapTldrCompletion(completion: string): string {
  return completion.replace(/<\|endoftext\|>\s*$/, '').trim()
}

export interface SummarizationRunOptions {
  limit?: number
  onProgress?: (done: number, total: number) => void
}

export async function runSummarizationTask(model: Model, task: TaskSpec, opts: SummarizationRunOptions = {}): Promise<TaskResult> {
  const { chooseMethod, createLmSummarizer, summarize } = await import('../../summarize/index.js')
  const docs = readDocs(task.data)
  if (docs.length === 0) throw new LlmError('the data file has no items', { where: task.data })
  const n = opts.limit === undefined ? docs.length : Math.min(opts.limit, docs.length)
  const cfg = task.summarize ?? {}
  const { method } = chooseMethod(cfg.method ?? 'auto', model.folder)
  const samples: SampleRecord[] = []
  for (let i = 0; i < n; i++) {
    const d = docs[i]!
    let document = render(task.docToText, d)
    let reference = render(task.docToTarget ?? '{{summary}}', d)
    if (cfg.unwrap === 'tldr') { document = unwrapTldrPrompt(document); reference = unwrapTldrCompletion(reference) }
    if (document.trim() === '') throw new LlmError('the document is empty', { where: d.where })
    const summarizer = method === 'abstractive'
      ? createLmSummarizer(model, document, { length: cfg.length, maxWords: cfg.maxWords, sampling: { temperature: 0 } })
      : undefined
    const r = await summarize(document, {
      method, summarizer, strategy: cfg.strategy, length: cfg.length, maxWords: cfg.maxWords, sentences: cfg.sentences, algorithm: cfg.algorithm,
    })
    samples.push({ doc_id: i, where: d.where, arguments: [[document, '']], loglikelihoods: [], prediction: r.summary, references: [reference] })
    opts.onProgress?.(i + 1, n)
  }
  return aggregate(task, samples, docs.length)
}
