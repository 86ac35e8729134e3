/**
 * A decoder-only transformer as an ONNX session with a KV cache: one `forward` call runs the model
 * on B rows of S new tokens given the cache of the P tokens before them, and returns the logits
 * (always float32) and the grown cache.
 *
 * Two export layouts are understood, both found from the session's declared inputs/outputs:
 *  - Optimum / transformers.js: `past_key_values.{i}.key|value` [B,H,P,D] in,
 *    `present.{i}.key|value` [B,H,P+S,D] out; `decoder_model_merged.onnx` adds a `use_cache_branch`
 *    bool input (false on the first, cache-less run).
 *  - onnxruntime-genai fused cache: `past_{i}` [2,B,H,P,D] (key and value stacked) in,
 *    `present_{i}` out; names may be given by genai_config.json templates (`past_%d`).
 * Inputs are fed only when the session declares them (`attention_mask`, `position_ids` are
 * optional), with the declared integer type (int64 or int32). float16 models take and return
 * Uint16Array bit patterns; the cache stays in the model's dtype and logits are widened to float32.
 *
 * Shapes: B batch rows, S new tokens, P cached tokens, T = P + S, H kv heads, D head size, V vocab.
 */
import { LlmError } from '../errors.js'
import { ModelSession, tensor, type Feeds, type SessionOptions, type Tensor } from './ort.js'
import { halfToFloat32Array } from './fp16.js'
import { HIDDEN_OUTPUT } from '../../kernels/model/io-names.js'

/** Name templates with `%d` for the layer index (genai_config.json style). */
export interface DecoderNameHints {
  inputIds?: string
  attentionMask?: string
  positionIds?: string
  logits?: string
  pastKey?: string
  pastValue?: string
  presentKey?: string
  presentValue?: string
  /** fused [2,B,H,P,D] caches */
  past?: string
  present?: string
}

export type CacheLayout =
  | { kind: 'separate'; past: { key: string; value: string }[]; present: { key: string; value: string }[] }
  | { kind: 'fused'; past: string[]; present: string[] }

export interface DecoderInfo {
  /** the ONNX file the session came from */
  file: string
  numLayers: number
  numKvHeads: number
  headDim: number
  /** logits width (from the graph when static, else from the first run) */
  vocabSize?: number
  idType: 'int64' | 'int32'
  kvType: 'float32' | 'float16'
  cache: CacheLayout
  inputs: { inputIds: string; attentionMask?: string; positionIds?: string; useCacheBranch?: string }
  logits: string
}

/** The cache of P tokens for B rows: tensor name (past input name) → tensor. */
export interface KvCache {
  readonly batch: number
  readonly length: number
  readonly tensors: Readonly<Record<string, Tensor>>
}

export interface ForwardInput {
  /** B*S token ids, row-major */
  ids: ArrayLike<number>
  batch: number
  cache: KvCache
  /** B*(P+S) 0/1; default all ones */
  attentionMask?: ArrayLike<number>
  /** B*S positions; default P..P+S-1 for every row */
  positionIds?: ArrayLike<number>
  /** 'last' (default): logits of each row's last position [B,V]; 'all': [B,S,V] */
  logits?: 'last' | 'all'
}

export interface ForwardOutput {
  /** float32 [B,V] or [B,S,V] */
  logits: Float32Array
  vocabSize: number
  cache: KvCache
}

const fill = (template: string, i: number): string => template.replace('%d', String(i))

export class Decoder {
  /** declared integer types of attention_mask / position_ids, looked up once */
  private readonly maskType: 'int64' | 'int32'
  private readonly positionType: 'int64' | 'int32'
  /** all-ones int64 attention mask, grown as needed: a mask for one row is a view of it (no per-token fill) */
  private ones = new BigInt64Array(0)

  private constructor(readonly session: ModelSession, readonly info: DecoderInfo) {
    this.maskType = this.declaredType(info.inputs.attentionMask, info.idType)
    this.positionType = this.declaredType(info.inputs.positionIds, info.idType)
  }

  /**
   * Open `model` — a path (so external data beside it is found), or the bytes of a graph built in
   * memory (`source` names it in messages) — and work out its layout. `hints` carries
   * genai_config.json names; `config` fills dims the graph leaves symbolic.
   */
  static async open(model: string | Uint8Array, opts: SessionOptions & { hints?: DecoderNameHints; config?: { numKvHeads?: number; headDim?: number }; source?: string } = {}): Promise<Decoder> {
    const session = await ModelSession.create(model, opts)
    const file = typeof model === 'string' ? model : opts.source ?? '<in-memory model>'
    try {
      return new Decoder(session, describe(session, file, opts.hints ?? {}, opts.config ?? {}))
    } catch (err) {
      await session.release()
      throw err
    }
  }

  /** An empty (P = 0) cache for `batch` rows. */
  emptyCache(batch: number): KvCache {
    const { cache, kvType, numKvHeads: H, headDim: D } = this.info
    const empty = (dims: number[]): Tensor => tensor(kvType, kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), dims)
    const tensors: Record<string, Tensor> = {}
    if (cache.kind === 'separate') {
      for (const l of cache.past) { tensors[l.key] = empty([batch, H, 0, D]); tensors[l.value] = empty([batch, H, 0, D]) }
    } else {
      for (const name of cache.past) tensors[name] = empty([2, batch, H, 0, D])
    }
    return { batch, length: 0, tensors }
  }

  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { info } = this
    const B = input.batch
    const P = input.cache.length
    if (input.cache.batch !== B) throw new LlmError(`cache has ${input.cache.batch} rows, input has ${B}`, { where: info.file })
    if (B <= 0 || input.ids.length % B !== 0 || input.ids.length === 0) {
      throw new LlmError(`cannot run the model on ${input.ids.length} ids in ${B} rows`, { where: info.file })
    }
    const S = input.ids.length / B
    const T = P + S
    const feeds: Feeds = { [info.inputs.inputIds]: intTensor(info.idType, input.ids, [B, S]) }
    if (info.inputs.attentionMask) {
      if (input.attentionMask && input.attentionMask.length !== B * T) throw new LlmError(`attention mask has ${input.attentionMask.length} entries, expected ${B}x${T}`, { where: info.file })
      feeds[info.inputs.attentionMask] = input.attentionMask ? intTensor(this.maskType, input.attentionMask, [B, T])
        : this.maskType === 'int64' ? tensor('int64', this.onesView(B * T), [B, T]) : tensor('int32', new Int32Array(B * T).fill(1), [B, T])
    }
    if (info.inputs.positionIds) {
      let pos = input.positionIds
      if (!pos) {
        const p = new Array<number>(B * S)
        for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) p[b * S + s] = P + s
        pos = p
      }
      feeds[info.inputs.positionIds] = intTensor(this.positionType, pos, [B, S])
    }
    if (info.inputs.useCacheBranch) feeds[info.inputs.useCacheBranch] = tensor('bool', [P > 0 ? 1 : 0], [1])
    Object.assign(feeds, input.cache.tensors)

    const out = await this.session.run(feeds, this.stepOutputs)
    const logitsT = out[info.logits]
    if (!logitsT) throw new LlmError(`the model returned no '${info.logits}' output`, { where: info.file })
    const V = Number(logitsT.dims[logitsT.dims.length - 1])
    if (info.vocabSize === undefined) info.vocabSize = V
    const logits = extractLogits(logitsT.data as Float32Array | Uint16Array, logitsT.type, B, S, V, input.logits ?? 'last')

    const tensors: Record<string, Tensor> = {}
    if (info.cache.kind === 'separate') {
      const { past, present } = info.cache
      past.forEach((l, i) => {
        tensors[l.key] = requireOut(out, present[i]!.key, info.file)
        tensors[l.value] = requireOut(out, present[i]!.value, info.file)
      })
    } else {
      const present = info.cache.present
      info.cache.past.forEach((name, i) => { tensors[name] = requireOut(out, present[i]!, info.file) })
    }
    return { logits, vocabSize: V, cache: { batch: B, length: T, tensors } }
  }

  /** what a generation step fetches: logits and the cache (not, say, last_hidden_state) */
  private get stepOutputs(): string[] {
    const { cache, logits } = this.info
    return [logits, ...(cache.kind === 'separate' ? cache.present.flatMap((p) => [p.key, p.value]) : cache.present)]
  }

  /** Throw unless the graph exposes the final hidden state (`last_hidden_state`: graphs llm emits). */
  requireHidden(): void {
    if (this.session.outputNames.includes(HIDDEN_OUTPUT)) return
    throw new LlmError(`the decoder graph has no '${HIDDEN_OUTPUT}' output, so it cannot give embeddings`, {
      where: this.info.file, hint: 're-export the model with this version of llm (llm convert), which adds that output',
    })
  }

  /**
   * The final hidden state (the final norm's output, before the LM head) [B·S·C] of B rows of S
   * tokens with no cache; `mask` marks real tokens (right padding). Only that output is fetched,
   * so onnxruntime skips the LM head.
   */
  async hidden(ids: readonly number[], mask: readonly number[], B: number, S: number): Promise<{ hidden: Float32Array; size: number }> {
    const { info } = this
    this.requireHidden()
    const feeds: Feeds = { [info.inputs.inputIds]: intTensor(info.idType, ids, [B, S]), ...this.emptyCache(B).tensors }
    if (info.inputs.attentionMask) feeds[info.inputs.attentionMask] = intTensor(this.maskType, mask, [B, S])
    if (info.inputs.positionIds) feeds[info.inputs.positionIds] = intTensor(this.positionType, Array.from({ length: B * S }, (_, i) => i % S), [B, S])
    if (info.inputs.useCacheBranch) feeds[info.inputs.useCacheBranch] = tensor('bool', [0], [1])
    const out = (await this.session.run(feeds, [HIDDEN_OUTPUT]))[HIDDEN_OUTPUT]!
    const hidden = out.type === 'float16' ? halfToFloat32Array(out.data as Uint16Array) : Float32Array.from(out.data as Float32Array)
    return { hidden, size: hidden.length / (B * S) }
  }

  async release(): Promise<void> {
    await this.session.release()
  }

  private declaredType(name: string | undefined, fallback: 'int64' | 'int32'): 'int64' | 'int32' {
    const t = this.session.inputMetadata.find((m) => m.name === name)?.type
    return t === 'int32' ? 'int32' : t === 'int64' ? 'int64' : fallback
  }

  /** n ones; onnxruntime only reads inputs, so the runs share one buffer */
  private onesView(n: number): BigInt64Array {
    if (this.ones.length < n) this.ones = new BigInt64Array(Math.max(n, 2 * this.ones.length, 256)).fill(1n)
    return this.ones.subarray(0, n)
  }
}

function requireOut(out: Record<string, Tensor>, name: string, file: string): Tensor {
  const t = out[name]
  if (!t) throw new LlmError(`the model returned no '${name}' output`, { where: file })
  return t
}

function intTensor(type: 'int64' | 'int32', values: ArrayLike<number>, dims: number[]): Tensor {
  if (type === 'int32') return tensor('int32', Int32Array.from(values), dims)
  const data = new BigInt64Array(values.length)
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!)
  return tensor('int64', data, dims)
}

function extractLogits(data: Float32Array | Uint16Array, type: string, B: number, S: number, V: number, which: 'last' | 'all'): Float32Array {
  const half = type === 'float16'
  if (!half && type !== 'float32') throw new LlmError(`unsupported logits type ${type}`)
  // onnxruntime hands over a fresh buffer every run, so the tensor's own data (or a view) is safe
  if (which === 'all') return half ? halfToFloat32Array(data as Uint16Array) : data as Float32Array
  if (!half && S === 1) return (data as Float32Array).subarray(0, B * V)
  const out = new Float32Array(B * V)
  for (let b = 0; b < B; b++) {
    const start = (b * S + S - 1) * V
    out.set(half ? halfToFloat32Array(data as Uint16Array, start, V) : (data as Float32Array).subarray(start, start + V), b * V)
  }
  return out
}

/** Work out the layout from the session's declared names (and genai hints). */
function describe(session: ModelSession, file: string, hints: DecoderNameHints, config: { numKvHeads?: number; headDim?: number }): DecoderInfo {
  const inputs = new Set(session.inputNames)
  const outputs = new Set(session.outputNames)
  const meta = new Map(session.inputMetadata.map((m) => [m.name, m]))
  const bad = (msg: string): LlmError => new LlmError(msg, { where: file, hint: `inputs: ${[...inputs].join(', ')}; outputs: ${[...outputs].join(', ')}` })

  const inputIds = hints.inputIds ?? 'input_ids'
  if (!inputs.has(inputIds)) throw bad(`not a decoder model: no '${inputIds}' input`)
  const logits = hints.logits ?? 'logits'
  if (!outputs.has(logits)) throw bad(`not a decoder model: no '${logits}' output`)
  const optional = (name: string): string | undefined => (inputs.has(name) ? name : undefined)

  let cache: CacheLayout
  const pastKey = hints.pastKey ?? 'past_key_values.%d.key'
  const pastValue = hints.pastValue ?? 'past_key_values.%d.value'
  const presentKey = hints.presentKey ?? 'present.%d.key'
  const presentValue = hints.presentValue ?? 'present.%d.value'
  const pastFused = hints.past ?? 'past_%d'
  const presentFused = hints.present ?? 'present_%d'
  const count = (tpl: string, set: Set<string>): number => { let n = 0; while (set.has(fill(tpl, n))) n++; return n }
  let firstPast: string
  if (count(pastKey, inputs) > 0) {
    const n = count(pastKey, inputs)
    cache = { kind: 'separate', past: [], present: [] }
    for (let i = 0; i < n; i++) {
      const names = [fill(pastKey, i), fill(pastValue, i)]
      const outNames = [fill(presentKey, i), fill(presentValue, i)]
      if (!inputs.has(names[1]!) || !outputs.has(outNames[0]!) || !outputs.has(outNames[1]!)) throw bad(`incomplete KV cache for layer ${i}`)
      cache.past.push({ key: names[0]!, value: names[1]! })
      cache.present.push({ key: outNames[0]!, value: outNames[1]! })
    }
    firstPast = cache.past[0]!.key
  } else if (count(pastFused, inputs) > 0) {
    const n = count(pastFused, inputs)
    cache = { kind: 'fused', past: [], present: [] }
    for (let i = 0; i < n; i++) {
      if (!outputs.has(fill(presentFused, i))) throw bad(`no '${fill(presentFused, i)}' output for layer ${i}`)
      cache.past.push(fill(pastFused, i))
      cache.present.push(fill(presentFused, i))
    }
    firstPast = cache.past[0]!
  } else {
    throw bad('no KV-cache inputs (past_key_values.{i}.key or past_{i}): only models exported with a cache are supported')
  }

  const pm = meta.get(firstPast)
  const kvType = pm?.type === 'float16' ? 'float16' : 'float32'
  if (pm?.type && pm.type !== 'float16' && pm.type !== 'float32') throw bad(`unsupported KV-cache type ${pm.type}`)
  // [B,H,P,D] or [2,B,H,P,D]: heads and head size are the 2nd and last dims from the end.
  const dims = pm?.dims ?? []
  const numeric = (d: number | string | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined)
  const numKvHeads = numeric(dims[dims.length - 3]) ?? config.numKvHeads
  const headDim = numeric(dims[dims.length - 1]) ?? config.headDim
  if (!numKvHeads || !headDim) throw bad('cannot tell the KV-cache heads / head size from the graph or config.json')
  const idMeta = meta.get(inputIds)?.type
  const logitsMeta = session.outputMetadata.find((m) => m.name === logits)?.dims
  const vocab = numeric(logitsMeta?.[logitsMeta.length - 1])
  return {
    file,
    numLayers: cache.past.length,
    numKvHeads,
    headDim,
    vocabSize: vocab,
    idType: idMeta === 'int32' ? 'int32' : 'int64',
    kvType,
    cache,
    inputs: {
      inputIds,
      attentionMask: optional(hints.attentionMask ?? 'attention_mask'),
      positionIds: optional(hints.positionIds ?? 'position_ids'),
      useCacheBranch: optional('use_cache_branch'),
    },
    logits,
  }
}

