/**
 * `llm summarize`: documents of any length, summarized without ever cutting them.
 *
 *   const text = decodeDocument(bytes, 'report.txt')            // refuses empty and binary input
 *   const m = chooseMethod('auto', folder)                      // extractive when there is no chat template
 *   const lm = createLmSummarizer(model, text, { length: 'medium' })   // abstractive only
 *   const r = await summarize(text, { method: m.method, summarizer: lm, strategy: 'auto', onEvent })
 *   r.summary, r.chunks, r.levels, r.calls, r.max_prompt_tokens, r.truncated (always false)
 *
 * Extractive: extractive.ts (LexRank / TextRank, verbatim sentences in document order).
 * Abstractive: strategy.ts (stuff, map-reduce, tree, refine) over a Summarizer (backend.ts).
 */
import { performance } from 'node:perf_hooks'
import { LlmError, usageError } from '../errors.js'
import { LENGTHS, type Length, type Method } from './input.js'
import type { Model } from '../model/load.js'
import type { SamplingParams } from '../generate/sampling.js'
import { BUILTIN_TEMPLATES } from '../prompts/builtins.js'
import type { PromptTemplate } from '../prompts/template.js'
import { LmSummarizer, type Summarizer } from './backend.js'
import { extractiveSummary, type ExtractiveAlgorithm } from './extractive.js'
import { wordCount } from '../text/segment.js'
import { MARGIN, SEP, runStrategy, type Strategy, type StrategyOptions } from './strategy.js'

export { chunkText, type Chunk, type ChunkOptions } from './chunk.js'
export { extractiveSummary, rankSentences, reduceToTokens, type ExtractiveAlgorithm, type ExtractiveOptions, type ExtractiveResult } from './extractive.js'
export { LmSummarizer, fits, instructionFor, callText, type Summarizer, type SummaryCall, type CallResult, type CallKind } from './backend.js'
export { runStrategy, type Strategy, type StrategyOptions, type StrategyResult, type SummarizeEvent } from './strategy.js'
export { paragraphs, sentences, words, wordCount } from '../text/segment.js'

export { decodeDocument, LENGTHS, type Length, type Method } from './input.js'

/** `auto`: abstractive for a model with a chat template, else extractive (with a note saying so). */
export function chooseMethod(method: Method | 'auto', model: { chatTemplate?: string } | undefined): { method: Method; note?: string } {
  if (method !== 'auto') return { method }
  if (model?.chatTemplate) return { method: 'abstractive' }
  return { method: 'extractive', note: 'the model has no chat template (not instruction-tuned): summarizing extractively (pass --method abstractive to use it anyway)' }
}

export interface LmSummarizerConfig {
  template?: PromptTemplate
  params?: Record<string, string>
  length?: Length
  maxWords?: number
  format?: 'paragraph' | 'bullets'
  focus?: string
  sampling?: Partial<SamplingParams>
  contextLength?: number
  signal?: { readonly aborted: boolean }
  onNote?: (line: string) => void
}

/**
 * An LmSummarizer whose output room fits the words asked for (measured tokens per word of this
 * document, +25%), capped at a third of what the context leaves after the prompt, so that two
 * summaries and the output of combining them fit one call.
 */
export function createLmSummarizer(model: Model, doc: string, cfg: LmSummarizerConfig = {}): LmSummarizer {
  let words = cfg.maxWords ?? LENGTHS[cfg.length ?? 'medium'].words
  const sample = doc.slice(0, 20_000)
  const perWord = Math.max(1, model.tokenizer.encode(sample).length / Math.max(1, wordCount(sample)))
  const make = (w: number, out: number): LmSummarizer => new LmSummarizer(model, {
    template: cfg.template ?? BUILTIN_TEMPLATES.summarize!, params: cfg.params,
    instruction: { words: w, format: cfg.format ?? 'paragraph', focus: cfg.focus },
    maxOutputTokens: out, sampling: cfg.sampling, contextLength: cfg.contextLength, signal: cfg.signal,
  })
  const probe = make(words, 1)
  const overhead = probe.promptTokens({ kind: 'combine', text: '', parts: 2 })
  // two summaries + the separator + the output room + the margin must fit one combine call
  const cap = Math.floor((probe.contextLength - overhead - MARGIN - probe.countTokens(SEP)) / 3)
  if (cap < 8) throw usageError(`the model's context (${probe.contextLength} tokens) is too small for a summarization prompt of ${overhead} tokens`, { where: model.folder.dir })
  let out = Math.ceil(words * perWord * 1.25) + 8
  if (out > cap) {
    const fit = Math.max(1, Math.floor((cap - 8) / (perWord * 1.25)))
    cfg.onNote?.(`the context (${probe.contextLength} tokens) fits summaries of about ${fit} words per call; asked for ${words}`)
    words = fit
    out = cap
  }
  return make(words, out)
}

export interface SummarizeOptions extends StrategyOptions {
  method: Method
  /** abstractive: the model behind each call */
  summarizer?: Summarizer
  length?: Length
  maxWords?: number
  /** extractive: most sentences */
  sentences?: number
  format?: 'paragraph' | 'bullets'
  focus?: string
  algorithm?: ExtractiveAlgorithm
}

export interface SummaryResult {
  summary: string
  method: Method
  /** abstractive: the strategy used; extractive: 'extract' */
  strategy: Strategy | 'extract'
  chunks: number
  levels: number
  calls: number
  max_prompt_tokens: number
  /** the output room every call kept free */
  max_output_tokens: number
  context_length: number | null
  truncated: false
  /** calls whose output did not shrink and were reduced extractively instead */
  reductions: number
  /** the level cap was reached */
  capped: boolean
  algorithm?: ExtractiveAlgorithm
  /** extractive: sentences chosen / in the document */
  sentences?: { chosen: number; total: number }
  words: number
  timings: { summarize_ms: number }
}

export async function summarize(text: string, opts: SummarizeOptions): Promise<SummaryResult> {
  if (text.trim() === '') throw usageError('the input is empty', { where: 'INPUT' })
  const t0 = performance.now()
  const format = opts.format ?? 'paragraph'
  if (opts.method === 'extractive') {
    const length = LENGTHS[opts.length ?? 'medium']
    const ext = extractiveSummary(text, {
      algorithm: opts.algorithm, focus: opts.focus, locale: opts.locale, maxWords: opts.maxWords,
      sentences: opts.sentences ?? (opts.maxWords === undefined ? length.sentences : undefined),
    })
    const summary = format === 'bullets' ? ext.sentences.map((s) => `- ${s}`).join('\n') : ext.sentences.join(' ')
    return {
      summary, method: 'extractive', strategy: 'extract', chunks: ext.blocks > 1 ? ext.blocks - 1 : 1, levels: ext.blocks > 1 ? 2 : 1,
      calls: 0, max_prompt_tokens: 0, max_output_tokens: 0, context_length: opts.summarizer?.contextLength ?? null, truncated: false, reductions: 0, capped: false,
      algorithm: opts.algorithm ?? 'lexrank', sentences: { chosen: ext.sentences.length, total: ext.total }, words: wordCount(summary, opts.locale),
      timings: { summarize_ms: performance.now() - t0 },
    }
  }
  if (!opts.summarizer) throw new LlmError('abstractive summarization needs a model', { where: '--method abstractive' })
  const r = await runStrategy(opts.summarizer, text, opts)
  return {
    summary: r.summary, method: 'abstractive', strategy: r.strategy, chunks: r.chunks, levels: r.levels, calls: r.calls,
    max_prompt_tokens: r.max_prompt_tokens, max_output_tokens: opts.summarizer.maxOutputTokens, context_length: opts.summarizer.contextLength, truncated: false,
    reductions: r.reductions, capped: r.capped, words: wordCount(r.summary, opts.locale),
    timings: { summarize_ms: performance.now() - t0 },
  }
}
