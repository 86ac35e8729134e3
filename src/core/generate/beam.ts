/**
 * Hugging Face's beam search (transformers generation/utils.py `_beam_search` and its helpers
 * `_get_top_k_continuations`, `_get_running_beams_for_next_iteration`, `_update_finished_beams`,
 * `_check_early_stop_heuristic`, `_beam_search_has_unfinished_sequences`; followed at commit
 * 000034a44ef887621d9b36001a5eb7c46e64cb3f, the vectorised rewrite that replaced BeamSearchScorer /
 * BeamHypotheses), plus greedy decoding, over one small interface — "score the next token of these
 * rows" — so decoder-only and encoder-decoder models share the algorithm.
 *
 * Per problem (a prompt or a source sentence) K beams run. Each step: log_softmax of the logits,
 * the logits processors, plus the running beam scores; the top (1 + #eos, at least 2)·K of the K·V
 * continuations; among them the best K that did not just finish keep running; those of the top K
 * that finished (EOS, or the length limit) join the K finished hypotheses when good enough, scored
 * sum(logprob) / generated_length^length_penalty (generated_length counts the EOS). A problem is
 * done when early_stopping is true and K hypotheses finished, or when its best running beam cannot
 * beat its worst finished one (early_stopping false: judged at the current length; 'never': at the
 * longest length when length_penalty > 0). Scores are JS doubles (HF: float32).
 *
 * Problems that can no longer change (all K finished and done) stop being computed; this changes
 * no result (the search's global stop conditions are unaffected, see `frozen`).
 */
import { performance } from 'node:perf_hooks'
import { LlmError, usageError } from '../errors.js'
import type { GenerationDefaults } from '../model/folder.js'
import type { Model, Prompt } from '../model/load.js'
import type { Decoder, KvCache } from '../runtime/decoder.js'
import type { Tensor } from '../runtime/ort.js'
import { gatherLogits, gatherRows } from '../runtime/seq2seq.js'
import { Detokenizer } from './detokenize.js'
import { fitPrompt, type GenerateOptions, type GenerationResult } from './generator.js'
import { applyProcessors, processorsIdle, type ProcessorOptions } from './logits-processors.js'
import { StopMatcher } from './stop.js'

/** "Score the next token": the model side of the search (decoder-only or encoder-decoder). */
export interface StepModel {
  /** logits [B·k, V] after every problem's prefix, each problem repeated k times (row b·k + j) */
  start(k: number): Promise<Float32Array>
  /** row r of this step extends row parents[r] of the previous step with tokens[r]; logits [rows, V] */
  next(parents: readonly number[], tokens: readonly number[]): Promise<Float32Array>
}

export type EarlyStopping = boolean | 'never'

export interface SearchOptions extends Omit<ProcessorOptions, 'maxLength'> {
  /** most generated tokens (HF max_length − decoder prompt length): one for all problems, or one each */
  maxNewTokens: number | readonly number[]
}

const limitOf = (o: SearchOptions, b: number): number => (typeof o.maxNewTokens === 'number' ? o.maxNewTokens : o.maxNewTokens[b] ?? 0)

export interface BeamOptions extends SearchOptions {
  numBeams: number
  /** default 1 */
  lengthPenalty?: number
  /** default false */
  earlyStopping?: EarlyStopping
  /** hypotheses returned per problem, best first (default 1, at most numBeams) */
  numReturnSequences?: number
}

export interface Hypothesis {
  /** generated tokens (a final EOS included, as HF returns it) */
  tokens: number[]
  /** beam search: sum of log-probabilities / tokens.length^length_penalty; greedy: sum of log-probabilities */
  score: number
  finishReason: 'eos' | 'length'
}

/** log_softmax of row r of `logits` (V wide) into `out` (float64, as the scores accumulate in doubles). */
export function logSoftmaxRow(logits: Float32Array, r: number, V: number, out: Float64Array): void {
  let max = -Infinity
  for (let v = 0; v < V; v++) { const x = logits[r * V + v]!; if (x > max) max = x }
  let sum = 0
  for (let v = 0; v < V; v++) sum += Math.exp(logits[r * V + v]! - max)
  const lse = max + Math.log(sum)
  for (let v = 0; v < V; v++) out[v] = logits[r * V + v]! - lse
}

interface Finished { tokens: number[]; score: number; finished: boolean; reason: 'eos' | 'length' }
interface Running { tokens: number[]; score: number }
interface Problem {
  prefix: readonly number[]
  running: Running[]
  finished: Finished[]
  unsatisfied: boolean
  frozen: boolean
}

/**
 * Beam search over `prefixes` (the processors' view of each problem's input_ids before generation:
 * the decoder-only prompt, or the seq2seq decoder start). Returns numReturnSequences hypotheses
 * per problem, best first.
 */
export async function beamSearch(model: StepModel, prefixes: readonly (readonly number[])[], o: BeamOptions): Promise<Hypothesis[][]> {
  const K = o.numBeams
  const lp = o.lengthPenalty ?? 1
  const es = o.earlyStopping ?? false
  const nRet = Math.min(o.numReturnSequences ?? 1, K)
  const eos = new Set(o.eosTokenIds)
  const keep = Math.max(2, 1 + o.eosTokenIds.length) * K
  const problems: Problem[] = prefixes.map((prefix) => ({
    prefix,
    running: Array.from({ length: K }, (_, j) => ({ tokens: [], score: j === 0 ? 0 : -1e9 })),
    finished: Array.from({ length: K }, () => ({ tokens: [], score: -1e9, finished: false, reason: 'length' as const })),
    unsatisfied: true,
    frozen: false,
  }))
  if (problems.length === 0 || problems.every((_, b) => limitOf(o, b) <= 0)) return problems.map(() => [])
  const procs: ProcessorOptions = { ...o, maxLength: 0 }
  const idle = processorsIdle(procs)

  let logits = await model.start(K)
  let rowsOf = problems.map((_, b) => b) // problem index of each block of K rows, in row order
  for (let cur = 0; ; ) {
    const V = logits.length / (rowsOf.length * K)
    const lpRow = new Float64Array(V)
    const acc = new Float64Array(K * V)
    const parents: number[] = []
    const tokens: number[] = []
    const nextRowsOf: number[] = []
    let anyValid = false
    for (let blk = 0; blk < rowsOf.length; blk++) {
      const p = problems[rowsOf[blk]!]!
      const maxNew = limitOf(o, rowsOf[blk]!)
      // b. accumulated log-probs of every (beam, token) continuation
      for (let j = 0; j < K; j++) {
        logSoftmaxRow(logits, blk * K + j, V, lpRow)
        if (!idle) {
          procs.maxLength = p.prefix.length + maxNew
          applyProcessors(lpRow, [...p.prefix, ...p.running[j]!.tokens], p.prefix.length, procs)
        }
        const base = p.running[j]!.score
        for (let v = 0; v < V; v++) acc[j * V + v] = lpRow[v]! + base
      }
      // c. top `keep` continuations (ties: the lower index first)
      const top = topK(acc, Math.min(keep, K * V))
      const cand = top.map((idx) => {
        const beam = Math.floor(idx / V), token = idx % V
        const tokensNew = [...p.running[beam]!.tokens, token]
        const isEos = eos.has(token)
        const hits = isEos || cur + 1 >= maxNew
        return { beam, token, tokens: tokensNew, logp: acc[idx]!, hits, reason: (isEos ? 'eos' : 'length') as 'eos' | 'length' }
      })
      if (cand.some((c) => !c.hits)) anyValid = true
      // e. the best K that did not finish keep running
      const runScores = cand.map((c) => c.logp + (c.hits ? -1e9 : 0))
      const runIdx = topK(runScores, K)
      const nextRunning = runIdx.map((i) => ({ tokens: cand[i]!.tokens, score: runScores[i]!, parent: cand[i]!.beam, token: cand[i]!.token }))
      // f. finished hypotheses: only the top K candidates may enter
      const allFinished = p.finished.every((f) => f.finished)
      const denom = Math.pow(cur + 1, lp)
      const merged: Finished[] = [...p.finished]
      cand.forEach((c, i) => {
        const just = c.hits && i < K
        let s = c.logp / denom
        if (allFinished && es === true) s += -1e9
        if (!p.unsatisfied) s += -1e9
        if (!just) s += -1e9
        merged.push({ tokens: c.tokens, score: s, finished: just, reason: c.reason })
      })
      p.finished = topK(merged.map((m) => m.score), K).map((i) => merged[i]!)
      p.running = nextRunning.map(({ tokens, score }) => ({ tokens, score }))
      // g. early-stop heuristic for the next step
      const len = es === 'never' && lp > 0 ? maxNew : cur + 1
      const best = p.running[0]!.score / Math.pow(len, lp)
      const allDone = p.finished.every((f) => f.finished)
      const worst = Math.min(...p.finished.map((f) => f.score))
      p.unsatisfied = p.unsatisfied && p.finished.some((f) => best > (f.finished ? worst : -1e9))
      // a problem whose finished set can no longer change stops being computed
      p.frozen = allDone && (es === true || !p.unsatisfied)
      if (!p.frozen) {
        nextRowsOf.push(rowsOf[blk]!)
        for (const r of nextRunning) { parents.push(blk * K + r.parent); tokens.push(r.token) }
      }
    }
    cur++
    const improvementPossible = problems.some((p) => p.unsatisfied && !p.frozen)
    const openBeam = !(problems.every((p) => p.finished.every((f) => f.finished)) && es === true)
    if (!(improvementPossible && openBeam && anyValid) || nextRowsOf.length === 0) break
    logits = await model.next(parents, tokens)
    rowsOf = nextRowsOf
  }
  return problems.map((p) => p.finished.slice(0, nRet).map((f) => ({ tokens: f.tokens, score: f.score, finishReason: f.reason })))
}

/**
 * Greedy decoding (HF `_sample` with do_sample false): processors on the raw logits, argmax (the
 * first maximum), a row ends at EOS or maxNewTokens. Finished rows are dropped from later steps.
 * The score is the sum of the chosen tokens' log-probabilities (after the processors).
 */
export async function greedySearch(model: StepModel, prefixes: readonly (readonly number[])[], o: SearchOptions): Promise<Hypothesis[]> {
  const eos = new Set(o.eosTokenIds)
  const out: Hypothesis[] = prefixes.map(() => ({ tokens: [], score: 0, finishReason: 'length' }))
  if (prefixes.every((_, b) => limitOf(o, b) <= 0)) return out
  const procs: ProcessorOptions = { ...o, maxLength: 0 }
  const idle = processorsIdle(procs)
  let logits = await model.start(1)
  // the model's rows this step: problem b sits in row r
  let live = prefixes.map((_, b) => b)
  for (;;) {
    const V = logits.length / live.length
    const row = new Float64Array(V)
    const parents: number[] = [], tokens: number[] = [], nextLive: number[] = []
    live.forEach((b, r) => {
      if (limitOf(o, b) <= 0) return
      for (let v = 0; v < V; v++) row[v] = logits[r * V + v]!
      const h = out[b]!
      if (!idle) {
        procs.maxLength = prefixes[b]!.length + limitOf(o, b)
        applyProcessors(row, [...prefixes[b]!, ...h.tokens], prefixes[b]!.length, procs)
      }
      let best = 0
      for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v
      let sum = 0
      for (let v = 0; v < V; v++) sum += Math.exp(row[v]! - row[best]!)
      h.tokens.push(best)
      h.score += -Math.log(sum) // log_softmax at the argmax: x_best − logsumexp(x)
      if (eos.has(best)) h.finishReason = 'eos'
      else if (h.tokens.length < limitOf(o, b)) { nextLive.push(b); parents.push(r); tokens.push(best) }
    })
    if (nextLive.length === 0) break
    logits = await model.next(parents, tokens)
    live = nextLive
  }
  return out
}

/** Indices of the k largest values, largest first; ties keep the lower index first. */
export function topK(xs: ArrayLike<number>, k: number): number[] {
  const idx: number[] = []
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!
    if (idx.length === k && !(x > xs[idx[k - 1]!]!)) continue
    let at = idx.length === k ? k - 1 : idx.length
    if (idx.length === k) idx.pop()
    while (at > 0 && x > xs[idx[at - 1]!]!) at--
    idx.splice(at, 0, i)
  }
  return idx
}

// ---------------------------------------------------------------------------------------------
// decoder-only models: the StepModel over a KV-cached Decoder, and beam search for `llm generate`

/**
 * Decoder-only rows for the search: prompts left-padded to one width (pads: mask 0, position 0;
 * real tokens count positions from their own first token, as greedyBatch and HF do), one prefill,
 * its rows tiled k times; later steps gather the cache rows of the parents.
 */
export function decoderStepModel(decoder: Decoder, prompts: readonly (readonly number[])[], padId: number): StepModel {
  let cache: KvCache | undefined
  let masks: number[][] = []
  let nextPos: number[] = []
  const fused = decoder.info.cache.kind === 'fused'
  const gather = (c: KvCache, rows: readonly number[]): KvCache => {
    const tensors: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(c.tensors)) tensors[name] = gatherRows(t, rows, fused ? 1 : 0)
    return { batch: rows.length, length: c.length, tensors }
  }
  return {
    async start(k) {
      const B = prompts.length
      const W = Math.max(...prompts.map((p) => p.length))
      const rows = prompts.map((p) => [...new Array<number>(W - p.length).fill(padId), ...p])
      const mask = prompts.map((p) => [...new Array<number>(W - p.length).fill(0), ...new Array<number>(p.length).fill(1)])
      const pos = mask.map((m) => { let n = 0; return m.map((bit) => (bit ? n++ : 0)) })
      const out = await decoder.forward({ ids: rows.flat(), batch: B, cache: decoder.emptyCache(B), attentionMask: mask.flat(), positionIds: pos.flat() })
      const tile = Array.from({ length: B * k }, (_, r) => Math.floor(r / k))
      cache = gather(out.cache, tile)
      masks = tile.map((b) => mask[b]!)
      nextPos = tile.map((b) => prompts[b]!.length)
      return gatherLogits(out.logits, out.vocabSize, tile)
    },
    async next(parents, tokens) {
      cache = gather(cache!, parents)
      masks = parents.map((p) => [...masks[p]!, 1])
      const pos = parents.map((p) => nextPos[p]!)
      nextPos = pos.map((p) => p + 1)
      const out = await decoder.forward({ ids: tokens, batch: parents.length, cache, attentionMask: masks.flat(), positionIds: pos })
      cache = out.cache
      return out.logits
    },
  }
}

/** Beam settings a caller may give; unset ones come from generation_config.json, then HF's defaults. */
export interface BeamSettings {
  numBeams?: number
  lengthPenalty?: number
  earlyStopping?: EarlyStopping
  noRepeatNgramSize?: number
  numReturnSequences?: number
  minNewTokens?: number
}

/** Resolved beam settings (HF defaults: length_penalty 1, early_stopping false, one sequence). */
export function resolveBeam(given: BeamSettings = {}, g: GenerationDefaults = {}): Required<BeamSettings> {
  const r = {
    numBeams: given.numBeams ?? g.numBeams ?? 1,
    lengthPenalty: given.lengthPenalty ?? g.lengthPenalty ?? 1,
    earlyStopping: given.earlyStopping ?? g.earlyStopping ?? false,
    noRepeatNgramSize: given.noRepeatNgramSize ?? g.noRepeatNgramSize ?? 0,
    numReturnSequences: given.numReturnSequences ?? g.numReturnSequences ?? 1,
    minNewTokens: given.minNewTokens ?? g.minNewTokens ?? 0,
  }
  const bad = (what: string, where: string): LlmError => usageError(what, { where })
  if (!Number.isInteger(r.numBeams) || r.numBeams < 1) throw bad(`--num-beams must be a positive integer, got ${r.numBeams}`, '--num-beams')
  if (!Number.isInteger(r.numReturnSequences) || r.numReturnSequences < 1) throw bad(`--num-return-sequences must be a positive integer, got ${r.numReturnSequences}`, '--num-return-sequences')
  if (r.numReturnSequences > r.numBeams) throw usageError(`--num-return-sequences ${r.numReturnSequences} is more than --num-beams ${r.numBeams}`, { where: '--num-return-sequences', hint: 'beam search returns at most num_beams hypotheses' })
  if (!Number.isFinite(r.lengthPenalty)) throw bad(`--length-penalty must be a number, got ${r.lengthPenalty}`, '--length-penalty')
  if (!Number.isInteger(r.noRepeatNgramSize) || r.noRepeatNgramSize < 0) throw bad(`--no-repeat-ngram-size must be an integer >= 0, got ${r.noRepeatNgramSize}`, '--no-repeat-ngram-size')
  if (!Number.isInteger(r.minNewTokens) || r.minNewTokens < 0) throw bad(`--min-new-tokens must be an integer >= 0, got ${r.minNewTokens}`, '--min-new-tokens')
  return r
}

export interface BeamSequence { text: string; ids: number[]; score: number; finish_reason: 'eos' | 'length' | 'stop' }

/**
 * `llm generate` with num_beams > 1 (or min-new-tokens / no-repeat-ngram with one beam, which
 * then decodes greedily through the same processors): the prompt as generateWithModel fits it,
 * HF beam search, the best hypothesis as the result (its text arrives through onText at the end,
 * cut at the first stop string), every returned hypothesis in `sequences`.
 */
export async function generateWithBeams(model: Model, prompt: Prompt, opts: GenerateOptions, maxTokens: number): Promise<GenerationResult & { sequences: BeamSequence[] }> {
  const beam = resolveBeam(opts.beam, model.folder.generation)
  const context = model.folder.contextLength
  const bos = model.folder.bosTokenId ?? model.tokenizer.bosTokenId
  const promptIds = fitPrompt(model.encodePrompt(prompt), context, maxTokens, opts.onOverflow ?? 'error', bos)
  const maxNewTokens = context === undefined ? maxTokens : Math.min(maxTokens, context - promptIds.length)
  const g = model.folder.generation
  const search: SearchOptions = {
    maxNewTokens, eosTokenIds: model.eosTokenIds, minNewTokens: beam.minNewTokens, noRepeatNgramSize: beam.noRepeatNgramSize,
    badWordsIds: g.badWordsIds, minLength: g.minLength,
  }
  const t0 = performance.now()
  const pad = g.padTokenId ?? model.eosTokenIds[0] ?? 0
  const stepModel = decoderStepModel(model.decoder, [promptIds], pad)
  const hyps = beam.numBeams > 1
    ? (await beamSearch(stepModel, [promptIds], { ...search, numBeams: beam.numBeams, lengthPenalty: beam.lengthPenalty, earlyStopping: beam.earlyStopping, numReturnSequences: beam.numReturnSequences }))[0]!
    : await greedySearch(stepModel, [promptIds], search)
  const ms = performance.now() - t0
  const eos = new Set(model.eosTokenIds)
  const sequences: BeamSequence[] = hyps.map((h) => {
    const body = h.tokens.length && eos.has(h.tokens[h.tokens.length - 1]!) ? h.tokens.slice(0, -1) : h.tokens
    const detok = new Detokenizer(model.tokenizer, promptIds)
    let text = body.map((t) => detok.push(t)).join('') + detok.flush()
    let reason: BeamSequence['finish_reason'] = h.finishReason
    const stop = new StopMatcher(opts.stop ?? [])
    const r = stop.push(text)
    if (r.stopped) { text = r.text; reason = 'stop' } else text = r.text + stop.flush()
    return { text, ids: h.tokens, score: h.score, finish_reason: reason }
  })
  const best = sequences[0] ?? { text: '', ids: [], score: 0, finish_reason: 'length' as const }
  if (best.text) opts.onText?.(best.text)
  for (const id of best.ids) opts.onToken?.(id)
  const tokens = hyps.reduce((n, h) => n + h.tokens.length, 0)
  return {
    text: best.text,
    prompt_ids: promptIds,
    ids: best.ids,
    finish_reason: best.finish_reason,
    seed: 0,
    sequences,
    timings: { load_ms: model.loadMs, prefill_ms: 0, decode_ms: ms, prefill_tokens_per_second: 0, decode_tokens_per_second: ms > 0 ? tokens / (ms / 1000) : 0 },
  }
}
