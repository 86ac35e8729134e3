/**
 * Text generation with a loaded Model, in this thread: one prefill run over the whole prompt,
 * then one cached decode run per new token; tokens pass through the sampler chain, the
 * streaming detokenizer and the stop-string matcher, and `onText` receives text as it becomes
 * final. See index.ts for the public API (and the worker-thread twin with the same interface).
 */
import { performance } from 'node:perf_hooks'
import { usageError } from '../errors.js'
import type { Model, Prompt } from '../model/load.js'
import type { BeamSequence, BeamSettings } from './beam.js'
import { Detokenizer } from './detokenize.js'
import { randomSeed } from '../rng.js'
import { buildSamplerChain, DEFAULT_SAMPLING, type SamplingParams } from './sampling.js'
import { StopMatcher } from './stop.js'
import { definedOnly } from '../json.js'

export type FinishReason = 'eos' | 'stop' | 'length' | 'abort'

export interface GenerateOptions {
  /** most new tokens (default: generation_config.json max_new_tokens, else 256); generation also ends at the context length */
  maxTokens?: number
  /** missing fields: the model's generation_config.json, else llama.cpp's defaults */
  sampling?: Partial<SamplingParams>
  /** strings that end generation; never emitted */
  stop?: readonly string[]
  /** a prompt that leaves no room to generate: 'error' (default) or 'truncate' its start */
  onOverflow?: 'error' | 'truncate'
  /** called with each piece of final text, in order (the pieces concatenate to `text`) */
  onText?: (text: string) => void
  /** called after each generated token with its id */
  onToken?: (id: number) => void
  /** checked between tokens */
  signal?: { readonly aborted: boolean }
  /** Hugging Face beam search (beam.ts); num_beams > 1 here or in generation_config.json selects it */
  beam?: BeamSettings
}

export interface GenerationTimings {
  load_ms: number
  prefill_ms: number
  decode_ms: number
  prefill_tokens_per_second: number
  decode_tokens_per_second: number
}

export interface GenerationResult {
  text: string
  /** the ids the model saw (after truncation) */
  prompt_ids: number[]
  /** generated ids only (an EOS that ended generation included, as Hugging Face's generate does) */
  ids: number[]
  finish_reason: FinishReason
  timings: GenerationTimings
  /** the sampling seed used (random unless given) */
  seed: number
  /** beam search: the returned hypotheses, best first, with their scores */
  sequences?: BeamSequence[]
}

export const DEFAULT_MAX_TOKENS = 256

/** Sampling parameters: explicit ones win, then generation_config.json, then llama.cpp defaults. */
export function resolveSampling(model: Model, given: Partial<SamplingParams> = {}): SamplingParams {
  const g = model.folder.generation
  const fromConfig: Partial<SamplingParams> =
    g.doSample === false ? { temperature: 0 }
    : g.doSample === true ? { temperature: g.temperature, topK: g.topK, topP: g.topP, minP: g.minP, repeatPenalty: g.repetitionPenalty }
    : {}
  return { ...DEFAULT_SAMPLING, ...definedOnly(fromConfig), ...definedOnly(given), seed: given.seed ?? randomSeed() }
}

/**
 * Fit the prompt into the context. The model can attend to `context` positions; generating even
 * one token needs prompt length < context. 'truncate' keeps the prompt's end (and its first token
 * when that is BOS), leaving room for min(maxTokens, context/2) new tokens.
 */
export function fitPrompt(ids: number[], context: number | undefined, maxTokens: number, policy: 'error' | 'truncate', bos?: number): number[] {
  if (context === undefined || ids.length < context) return ids
  if (policy === 'error') {
    throw usageError(`the prompt is ${ids.length} tokens but the model's context is ${context}`, {
      where: 'PROMPT', hint: 'shorten it, or pass --on-overflow truncate to drop its start',
    })
  }
  const room = Math.max(1, Math.min(maxTokens, Math.floor(context / 2)))
  const keep = context - room
  const head = bos !== undefined && ids[0] === bos ? [bos] : []
  return [...head, ...ids.slice(ids.length - (keep - head.length))]
}

export async function generateWithModel(model: Model, prompt: Prompt, opts: GenerateOptions = {}): Promise<GenerationResult> {
  const maxTokens = opts.maxTokens ?? model.folder.generation.maxNewTokens ?? DEFAULT_MAX_TOKENS
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw usageError(`max tokens must be a non-negative integer, got ${maxTokens}`, { where: '--max-tokens' })
  if ((opts.beam?.numBeams ?? model.folder.generation.numBeams ?? 1) > 1 || opts.beam?.minNewTokens || opts.beam?.noRepeatNgramSize) {
    const { generateWithBeams } = await import('./beam.js') // dynamic: beam.ts imports this file
    return generateWithBeams(model, prompt, opts, maxTokens)
  }
  const sampling = resolveSampling(model, opts.sampling)
  const context = model.folder.contextLength
  const bos = model.folder.bosTokenId ?? model.tokenizer.bosTokenId
  const promptIds = fitPrompt(model.encodePrompt(prompt), context, maxTokens, opts.onOverflow ?? 'error', bos)
  const eos = new Set(model.eosTokenIds)
  const chain = buildSamplerChain(sampling, Math.min(model.tokenizer.vocabSize, model.vocabSize))
  for (const id of promptIds) chain.accept(id)
  const detok = new Detokenizer(model.tokenizer, promptIds)
  const stop = new StopMatcher(opts.stop ?? [])
  const pieces: string[] = []
  const emit = (t: string): void => { if (t) { pieces.push(t); opts.onText?.(t) } }

  const ids: number[] = []
  let finish: FinishReason = 'length'
  let prefillMs = 0
  let decodeRuns = 0
  let decodeStart = 0
  if (maxTokens > 0) {
    const t0 = performance.now()
    let out = await model.decoder.forward({ ids: promptIds, batch: 1, cache: model.decoder.emptyCache(1) })
    prefillMs = performance.now() - t0
    decodeStart = performance.now()
    for (;;) {
      if (opts.signal?.aborted) { finish = 'abort'; break }
      const token = chain.sample(out.logits)
      chain.accept(token)
      ids.push(token)
      opts.onToken?.(token)
      if (eos.has(token)) { finish = 'eos'; break }
      const r = stop.push(detok.push(token))
      emit(r.text)
      if (r.stopped) { finish = 'stop'; break }
      if (ids.length >= maxTokens) { finish = 'length'; break }
      if (context !== undefined && promptIds.length + ids.length >= context) { finish = 'length'; break }
      out = await model.decoder.forward({ ids: [token], batch: 1, cache: out.cache })
      decodeRuns++
    }
  }
  const decodeMs = maxTokens > 0 ? performance.now() - decodeStart : 0
  if (!stop.stopped) {
    const r = stop.push(detok.flush())
    emit(r.text)
    if (r.stopped) finish = 'stop'
    else emit(stop.flush())
  }
  return {
    text: pieces.join(''),
    prompt_ids: promptIds,
    ids,
    finish_reason: finish,
    seed: sampling.seed,
    timings: {
      load_ms: model.loadMs,
      prefill_ms: prefillMs,
      decode_ms: decodeMs,
      prefill_tokens_per_second: prefillMs > 0 ? promptIds.length / (prefillMs / 1000) : 0,
      decode_tokens_per_second: decodeMs > 0 ? decodeRuns / (decodeMs / 1000) : 0,
    },
  }
}
