/**
 * An encoder-decoder transformer as ONNX sessions in the Optimum / transformers.js layout
 * (src/kernels/seq2seq/io.ts names the inputs and outputs):
 *   - encoder_model.onnx runs once per batch of sources;
 *   - decoder_model_merged.onnx (with `use_cache_branch`), or decoder_model.onnx for the first
 *     step and decoder_with_past_model.onnx after it, runs once per new target token.
 * The cross-attention keys/values come out of the first decoder step and are fed back unchanged
 * on every later step (the encoder's KV is computed once); only the self-attention cache grows.
 * Beam search reorders the cache rows between steps (`gatherRows`).
 *
 * Shapes: B rows, S source tokens, T target tokens so far, H heads, D head size, C width, V vocab.
 * Inputs are fed only when the session declares them (as transformers.js picks them).
 */
import { LlmError } from '../errors.js'
import { halfToFloat32Array } from './fp16.js'
import { ModelSession, tensor, type Feeds, type SessionOptions, type Tensor, type TensorData } from './ort.js'

export interface Seq2SeqFiles {
  encoder: string
  /** decoder_model_merged.onnx */
  merged?: string
  /** decoder_model.onnx (first step) + decoder_with_past_model.onnx (later steps) */
  first?: string
  withPast?: string
}

/** The encoder's output for B sources, kept for every decoder step. */
export interface EncoderState {
  readonly batch: number
  /** last_hidden_state [B, S, C] */
  readonly hidden: Tensor
  /** attention_mask [B, S] int64 (1 = real token) */
  readonly mask: Tensor
}

export interface Seq2SeqCache {
  readonly batch: number
  /** decoder tokens cached */
  readonly length: number
  /** past_key_values.{i}.decoder.* and .encoder.* → tensor */
  readonly tensors: Readonly<Record<string, Tensor>>
}

export interface DecoderStep {
  /** float32 [B, V]: the next-token logits of each row */
  logits: Float32Array
  vocabSize: number
  cache: Seq2SeqCache
}

const pastSelf = (i: number, k: string): string => `past_key_values.${i}.decoder.${k}`
const pastCross = (i: number, k: string): string => `past_key_values.${i}.encoder.${k}`

export class Seq2SeqRuntime {
  private constructor(
    readonly encoder: ModelSession,
    /** merged: the one decoder; split: the first-step decoder */
    readonly decoder: ModelSession,
    readonly withPast: ModelSession | undefined,
    readonly numLayers: number,
    readonly files: Seq2SeqFiles,
  ) {}

  static async open(files: Seq2SeqFiles, opts: SessionOptions = {}): Promise<Seq2SeqRuntime> {
    const first = files.merged ?? files.first
    if (!first) throw new LlmError('no decoder model', { where: files.encoder, hint: 'expected onnx/decoder_model_merged.onnx, or decoder_model.onnx + decoder_with_past_model.onnx' })
    // a first-step decoder alone would run later steps without their history
    if (!files.merged && !files.withPast) throw new LlmError('decoder_model.onnx has no decoder_with_past_model.onnx beside it', { where: first, hint: 'export both, or decoder_model_merged.onnx' })
    const sessions: ModelSession[] = []
    try {
      const encoder = await ModelSession.create(files.encoder, opts); sessions.push(encoder)
      const decoder = await ModelSession.create(first, opts); sessions.push(decoder)
      const withPast = !files.merged && files.withPast ? await ModelSession.create(files.withPast, opts) : undefined
      if (withPast) sessions.push(withPast)
      const check = (s: ModelSession, names: string[], file: string): void => {
        for (const n of names) if (!s.inputNames.includes(n) && !s.outputNames.includes(n)) throw new LlmError(`not an encoder-decoder model: no '${n}'`, { where: file, hint: `inputs: ${s.inputNames.join(', ')}` })
      }
      check(encoder, ['input_ids', 'last_hidden_state'], files.encoder)
      check(decoder, ['input_ids', 'logits'], first)
      let layers = 0
      while (decoder.outputNames.includes(`present.${layers}.decoder.key`)) layers++
      if (layers === 0) throw new LlmError('the decoder returns no present.{i}.decoder.key cache', { where: first, hint: 'export the decoder with past key values (use_cache)' })
      if (files.merged && !decoder.inputNames.includes('use_cache_branch')) {
        throw new LlmError('decoder_model_merged.onnx has no use_cache_branch input', { where: first })
      }
      return new Seq2SeqRuntime(encoder, decoder, withPast, layers, files)
    } catch (err) {
      for (const s of sessions) await s.release()
      throw err
    }
  }

  /** Run the encoder on B right-padded rows (`mask` 1 for real tokens). */
  async encode(rows: readonly (readonly number[])[], padId: number): Promise<EncoderState> {
    const B = rows.length
    const S = Math.max(1, ...rows.map((r) => r.length))
    const ids = new BigInt64Array(B * S).fill(BigInt(padId))
    const mask = new BigInt64Array(B * S)
    rows.forEach((r, b) => r.forEach((id, s) => { ids[b * S + s] = BigInt(id); mask[b * S + s] = 1n }))
    const feeds: Feeds = { input_ids: tensor('int64', ids, [B, S]) }
    const maskT = tensor('int64', mask, [B, S])
    if (this.encoder.inputNames.includes('attention_mask')) feeds.attention_mask = maskT
    const out = await this.encoder.run(feeds, ['last_hidden_state'])
    return { batch: B, hidden: out.last_hidden_state!, mask: maskT }
  }

  /**
   * One decoder run: `ids` holds B·S new tokens (S = 1 after the first step), `cache` the tokens
   * before them (undefined on the first step). Returns the last position's logits per row.
   */
  async step(enc: EncoderState, ids: readonly number[], cache?: Seq2SeqCache): Promise<DecoderStep> {
    const B = enc.batch
    if (ids.length === 0 || ids.length % B !== 0) throw new LlmError(`cannot run the decoder on ${ids.length} ids in ${B} rows`, { where: this.files.encoder })
    if (cache && cache.batch !== B) throw new LlmError(`cache has ${cache.batch} rows, encoder state ${B}`, { where: this.files.encoder })
    const S = ids.length / B
    const session = cache && this.withPast ? this.withPast : this.decoder
    const feeds: Feeds = {
      input_ids: tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [B, S]),
      encoder_attention_mask: enc.mask,
      encoder_hidden_states: enc.hidden,
    }
    const declared = new Set(session.inputNames)
    if (declared.has('use_cache_branch')) feeds.use_cache_branch = tensor('bool', [cache ? 1 : 0], [1])
    if (declared.has(pastSelf(0, 'key'))) {
      if (cache) Object.assign(feeds, cache.tensors)
      else Object.assign(feeds, this.emptyCache(session, B))
    }
    for (const name of Object.keys(feeds)) if (!declared.has(name)) delete feeds[name]
    // the cross-attention presents are only needed from the first step: later they are the past
    const wanted = session.outputNames.filter((n) => n === 'logits' || n.includes('.decoder.') || (!cache && n.includes('.encoder.')))
    const out = await session.run(feeds, wanted)
    const logitsT = out.logits!
    const V = Number(logitsT.dims[logitsT.dims.length - 1])
    const logits = lastPosition(logitsT.data as Float32Array | Uint16Array, logitsT.type, B, S, V)
    const tensors: Record<string, Tensor> = {}
    for (let i = 0; i < this.numLayers; i++) {
      for (const k of ['key', 'value']) {
        tensors[pastSelf(i, k)] = required(out, `present.${i}.decoder.${k}`, session.source)
        tensors[pastCross(i, k)] = cache ? cache.tensors[pastCross(i, k)]! : required(out, `present.${i}.encoder.${k}`, session.source)
      }
    }
    return { logits, vocabSize: V, cache: { batch: B, length: (cache?.length ?? 0) + S, tensors } }
  }

  /** Empty past tensors for the first step, shaped from the session's metadata (dims with names → 0, batch → B). */
  private emptyCache(session: ModelSession, B: number): Feeds {
    const out: Feeds = {}
    for (const m of session.inputMetadata) {
      if (!m.name.startsWith('past_key_values.')) continue
      const dims = (m.dims ?? []).map((d, j) => (j === 0 ? B : typeof d === 'number' ? d : 0))
      out[m.name] = tensor(m.type === 'float16' ? 'float16' : 'float32', m.type === 'float16' ? new Uint16Array(0) : new Float32Array(0), dims)
    }
    return out
  }

  async release(): Promise<void> {
    await this.encoder.release()
    await this.decoder.release()
    await this.withPast?.release()
  }
}

/** The encoder state for rows `rows` (repeats allowed: beam search tiles each source K times). */
export function gatherEncoder(enc: EncoderState, rows: readonly number[]): EncoderState {
  return { batch: rows.length, hidden: gatherRows(enc.hidden, rows), mask: gatherRows(enc.mask, rows) }
}

/** The cache for rows `rows` of the previous step (beam search's reorder_cache, any row count). */
export function gatherCache(cache: Seq2SeqCache, rows: readonly number[], opts: { skipCross?: boolean } = {}): Seq2SeqCache {
  const tensors: Record<string, Tensor> = {}
  for (const [name, t] of Object.entries(cache.tensors)) {
    tensors[name] = opts.skipCross && name.includes('.encoder.') && rows.length === cache.batch ? t : gatherRows(t, rows)
  }
  return { batch: rows.length, length: cache.length, tensors }
}

/**
 * Rows `rows` of a tensor along `axis` (0: [B, …]; 1: a fused [2, B, …] cache), copied into a
 * new tensor; the identity selection returns `t` itself.
 */
export function gatherRows(t: Tensor, rows: readonly number[], axis: 0 | 1 = 0): Tensor {
  const dims = t.dims.map(Number)
  const B = dims[axis]!
  if (rows.length === B && rows.every((r, i) => r === i)) return t
  const data = t.data as TensorData
  const outer = axis === 0 ? 1 : dims[0]!
  const per = B === 0 ? 0 : data.length / outer / B
  const Ctor = data.constructor as new (n: number) => TensorData
  const out = new Ctor(outer * rows.length * per)
  const src = data as Float32Array, dst = out as Float32Array
  for (let o = 0; o < outer; o++) {
    rows.forEach((r, i) => {
      if (!(r >= 0 && r < B)) throw new LlmError(`row ${r} is out of range 0..${B - 1}`)
      dst.set(src.subarray((o * B + r) * per, (o * B + r + 1) * per), (o * rows.length + i) * per)
    })
  }
  const outDims = [...dims]
  outDims[axis] = rows.length
  return tensor(t.type as Parameters<typeof tensor>[0], out, outDims)
}

/** Rows `rows` of a [B, V] logits array. */
export function gatherLogits(logits: Float32Array, V: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * V)
  rows.forEach((r, i) => out.set(logits.subarray(r * V, (r + 1) * V), i * V))
  return out
}

/**
 * The search-side view of an encoder-decoder (src/core/generate/beam.ts StepModel): every problem
 * starts from `prefix` (the decoder start token); the first decoder step runs once per problem and
 * its rows (cache, encoder state, logits) are tiled k times. Later steps reorder the cache by the
 * parents; the cross-attention KV and the encoder state are regathered only when the rows change
 * problem (rows of one problem hold identical copies).
 */
export function seq2seqStepModel(rt: Seq2SeqRuntime, enc: EncoderState, prefix: readonly number[]): {
  start(k: number): Promise<Float32Array>
  next(parents: readonly number[], tokens: readonly number[]): Promise<Float32Array>
} {
  let state = enc
  let cache: Seq2SeqCache | undefined
  let problemOf: number[] = []
  return {
    async start(k) {
      const B = enc.batch
      const first = await rt.step(enc, Array.from({ length: B }, () => prefix).flat())
      const tile = Array.from({ length: B * k }, (_, r) => Math.floor(r / k))
      problemOf = tile
      state = k === 1 ? enc : gatherEncoder(enc, tile)
      cache = k === 1 ? first.cache : gatherCache(first.cache, tile)
      return k === 1 ? first.logits : gatherLogits(first.logits, first.vocabSize, tile)
    },
    async next(parents, tokens) {
      const nextProblem = parents.map((p) => problemOf[p]!)
      const same = nextProblem.length === problemOf.length && nextProblem.every((p, i) => p === problemOf[i])
      if (!same) state = gatherEncoder(state, parents)
      cache = gatherCache(cache!, parents, { skipCross: same })
      problemOf = nextProblem
      const out = await rt.step(state, tokens, cache)
      cache = out.cache
      return out.logits
    },
  }
}

function required(out: Record<string, Tensor>, name: string, file: string): Tensor {
  const t = out[name]
  if (!t) throw new LlmError(`the decoder returned no '${name}' output`, { where: file })
  return t
}

function lastPosition(data: Float32Array | Uint16Array, type: string, B: number, S: number, V: number): Float32Array {
  if (type !== 'float32' && type !== 'float16') throw new LlmError(`unsupported logits type ${type}`)
  const out = new Float32Array(B * V)
  for (let b = 0; b < B; b++) {
    const start = (b * S + S - 1) * V
    out.set(type === 'float16' ? halfToFloat32Array(data as Uint16Array, start, V) : (data as Float32Array).subarray(start, start + V), b * V)
  }
  return out
}
