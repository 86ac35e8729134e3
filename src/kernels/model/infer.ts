/**
 * Emitter (a): the inference graph of `decoderForward`, with a KV cache, in the Optimum /
 * transformers.js layout:
 *
 *   inputs   input_ids [batch_size, sequence_length] int64
 *            attention_mask [batch_size, total_sequence_length] int64
 *            position_ids [batch_size, sequence_length] int64
 *            past_key_values.{i}.key|value [batch_size, KV, past_sequence_length, D] float32
 *   outputs  logits [batch_size, sequence_length, V] float32
 *            present.{i}.key|value [batch_size, KV, total_sequence_length, D] float32
 *            last_hidden_state [batch_size, sequence_length, C] float32 (final-norm output, for embeddings)
 *
 * transformers.js builds its first (empty) cache from the input metadata, so the past dims are
 * named `batch_size` / `past_sequence_length` and heads / head size kept numeric.
 *
 * Standard ONNX ops plus two of onnxruntime's com.microsoft contrib ops, which onnxruntime-node
 * and onnxruntime-web (the WASM build transformers.js ships) both run — the graph is tested against
 * PyTorch's logits for every family in onnxruntime-node, and for Llama in onnxruntime-web:
 * SkipSimplifiedLayerNormalization (a residual add and the RMSNorm after it) and RotaryEmbedding
 * (on per-token cos/sin rows, so any position and partial rotary work). The q/k/v and gate/up
 * projections of one input run as one Gemm on their weights concatenated (initializers
 * `…qkv_proj.weight`, `…gate_up_proj.weight`, Phi-3's names), then Split. A decode step of the
 * 135M SmolLM2 shape is 874 nodes after onnxruntime's own fusions (28 per layer), against 1,202
 * for the standard-op spelling: onnxruntime spends microseconds per node, which on small models
 * and quantized weights is a large share of a token.
 *
 * Letters: B batch, S new tokens, P cached tokens, T = P + S, N = B·S rows, C hidden, H query
 * heads, KV key/value heads, G = H/KV, D head size, R rotary dims, V vocab. Activations between
 * blocks are rows [N, C] (layers.ts). Weights are float32 initializers under their Hugging Face names
 * (fused projections under the fused module's name).
 */
import { LlmError } from '../../core/errors.js'
import { tensorToFloat32, type SafeTensor } from '../../core/safetensors.js'
import { float32ToHalfArray } from '../../core/runtime/fp16.js'
import { float, Graph } from '../onnx/graph.js'
import type { Activation, ModelConfig } from './config.js'
import { decoderForward, type Ops } from './forward.js'
import { paramSpecs, type ParamSpec } from './params.js'
import { activate, linear, rmsNorm } from './layers.js'
import { HIDDEN_OUTPUT, pastName, presentName } from './io-names.js'

/** Anything with `get(name)`: a Map of tensors, a Checkpoint. */
export interface WeightSource { get(name: string): SafeTensor | undefined }

export interface InferOptions {
  /** default 17 */
  opset?: number
  /** where the weights came from, for error messages */
  where?: string
  /**
   * 'float16': weights stored as float16 initializers, each Cast to float32 (which onnxruntime
   * folds at load: the file is half the size, the computation float32, on fp16-rounded weights)
   */
  storage?: 'float32' | 'float16'
}

export { pastName, presentName, HIDDEN_OUTPUT }

const MIN_FLOAT = -3.4028234663852886e38
const MS = { domain: 'com.microsoft' }

/**
 * The weights as graph values: every parameter is checked up front against the config (presence,
 * shape), then added as an initializer when first used — a fused projection adds the
 * concatenation of its parts instead of the parts.
 */
class GraphWeights {
  private readonly specs = new Map<string, ParamSpec>()
  private readonly added = new Map<string, string>()

  constructor(private readonly g: Graph, c: ModelConfig, private readonly source: WeightSource, where: string, private readonly storage: InferOptions['storage']) {
    for (const spec of paramSpecs(c)) {
      const t = source.get(spec.name)
      if (!t) throw new LlmError(`weight '${spec.name}' is missing`, { where, hint: `expected Hugging Face ${c.family} parameter names` })
      if (t.shape.join(',') !== spec.shape.join(',')) {
        throw new LlmError(`weight '${spec.name}' has shape [${t.shape.join(',')}], config.json implies [${spec.shape.join(',')}]`, { where })
      }
      this.specs.set(spec.name, spec)
    }
  }

  /** rows of a weight (out features), or the length of a bias */
  rows(name: string): number { return this.specs.get(name)!.shape[0]! }

  get(name: string): string { return this.concat([name], name) }

  /** the parts concatenated along axis 0, as one value named `as` */
  concat(parts: string[], as: string): string {
    const hit = this.added.get(as)
    if (hit) return hit
    const shape = [parts.reduce((n, p) => n + this.rows(p), 0), ...this.specs.get(parts[0]!)!.shape.slice(1)]
    const half = this.storage === 'float16'
    const datas = parts.map((p) => {
      const t = this.source.get(p)!
      if (!half) return tensorToFloat32(t, p)
      return t.dtype === 'F16' ? (t.data as Uint16Array) : float32ToHalfArray(tensorToFloat32(t, p))
    })
    const data = datas.length === 1 ? datas[0]! : joined(datas, half)
    const value = half
      ? this.g.op('Cast', [this.g.initializer(`${as}.f16`, 'float16', shape, data)], { to: 1 }, { name: as })
      : this.g.initializer(as, 'float32', shape, data)
    this.added.set(as, value)
    return value
  }
}

function joined(parts: (Float32Array | Uint16Array)[], half: boolean): Float32Array | Uint16Array {
  const out = half ? new Uint16Array(parts.reduce((n, p) => n + p.length, 0)) : new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

class InferOps implements Ops<string> {
  /** Shape(input_ids) = [B, S] */
  readonly bs: string
  /** per-token rows [N, R/2] and the row of each token [B, S], for RotaryEmbedding */
  private readonly rope: { cos: string; sin: string; rows: string }
  /** window → bool [B, 1, G·S, T] mask of visible keys */
  private readonly visible = new Map<number, string>()

  constructor(private readonly g: Graph, private readonly c: ModelConfig, private readonly w: GraphWeights, private readonly ids: string, private readonly mask: string, positions: string) {
    this.bs = g.op('Shape', [ids])
    this.rope = this.ropeRows(positions)
  }

  embed(weight: string, scale: number): string {
    const rows = this.g.op('Gather', [this.w.get(weight), this.g.op('Reshape', [this.ids, this.g.const('int64', [1], [-1])])], { axis: 0 }) // [N, C]
    return scale === 1 ? rows : this.g.op('Mul', [rows, this.g.const('float32', [], [scale])])
  }

  linear(x: string, module: string, bias: boolean): string {
    return linear(this.g, x, this.w.get(`${module}.weight`), bias ? this.w.get(`${module}.bias`) : undefined)
  }

  /** one Gemm on the concatenated weights, then Split */
  linears(x: string, modules: string[], bias: boolean, fused: string): string[] {
    const part = (suffix: string) => modules.map((m) => `${m}.${suffix}`)
    const w = this.w.concat(part('weight'), `${fused}.weight`)
    const b = bias ? this.w.concat(part('bias'), `${fused}.bias`) : undefined
    return this.split(linear(this.g, x, w, b), part('weight').map((p) => this.w.rows(p)))
  }

  head(x: string, weight: string): string {
    return linear(this.g, x, this.w.get(weight))
  }

  rmsNorm(x: string, weight: string, eps: number, offset: 0 | 1): string {
    return rmsNorm(this.g, x, this.w.get(weight), eps, offset)
  }

  /** SkipSimplifiedLayerNormalization: output 0 the norm, output 3 the sum */
  addNorm(h: string, delta: string, weight: string, eps: number, offset: 0 | 1): [string, string] {
    const g = this.g
    const w = this.w.get(weight)
    const gamma = offset === 1 ? g.op('Add', [w, g.const('float32', [], [1])]) : w
    const [normed, , , sum] = g.opN('SkipSimplifiedLayerNormalization', [delta, h, gamma], [g.fresh('SkipNorm'), '', '', g.fresh('Residual')], { epsilon: float(eps) }, MS)
    return [sum!, normed!]
  }

  gatedAct(gate: string, up: string, act: Activation): string {
    return this.g.op('Mul', [activate(this.g, gate, act), up])
  }

  split(x: string, widths: number[]): string[] {
    return this.g.opN('Split', [x, this.g.const('int64', [widths.length], widths)], widths.length, { axis: -1 })
  }

  /**
   * Grouped-query attention with a KV cache. The G query heads sharing a KV head are stacked as
   * rows, q [B, KV, G·S, D] (head h = kv·G + r uses KV head h / G, as transformers' repeat_kv), so
   * each cached key and value is read once by a plain batched MatMul: nothing is repeated or
   * broadcast (onnxruntime folds the scale and the key transpose into one FusedMatMul).
   */
  attention(layer: number, qRows: string, kRows: string, vRows: string): string {
    const g = this.g
    const { numHeads: H, numKvHeads: KV, headDim: D } = this.c
    const G = H / KV
    const bnsd = (rows: string, n: number) => g.op('Transpose', [g.op('Reshape', [rows, g.op('Concat', [this.bs, g.const('int64', [2], [n, D])], { axis: 0 })])], { perm: [0, 2, 1, 3] }) // [B, n, S, D]
    const q = this.applyRope(bnsd(qRows, H), H)
    const kAll = g.op('Concat', [pastName(layer, 'key'), this.applyRope(bnsd(kRows, KV), KV)], { axis: 2 }, { name: presentName(layer, 'key') }) // [B, KV, T, D]
    const vAll = g.op('Concat', [pastName(layer, 'value'), bnsd(vRows, KV)], { axis: 2 }, { name: presentName(layer, 'value') })
    const stacked = g.const('int64', [4], [0, KV, -1, D])
    const qs = g.op('Mul', [g.op('Reshape', [q, stacked]), g.const('float32', [], [1 / Math.sqrt(D)])]) // [B, KV, G·S, D]
    const scores = g.op('MatMul', [qs, g.op('Transpose', [kAll], { perm: [0, 1, 3, 2] })]) // [B, KV, G·S, T]
    const masked = g.op('Where', [this.visibleKeys(this.c.slidingWindows[layer] ?? 0), scores, g.const('float32', [], [MIN_FLOAT])])
    const o = g.op('MatMul', [g.op('Softmax', [masked], { axis: -1 }), vAll]) // [B, KV, G·S, D]
    const heads = g.op('Reshape', [o, g.const('int64', [5], [0, KV, G, -1, D])]) // [B, KV, G, S, D]
    return g.op('Reshape', [g.op('Transpose', [heads], { perm: [0, 3, 1, 2, 4] }), g.const('int64', [2], [-1, H * D])]) // [N, H·D]
  }

  /**
   * cos/sin rows [N, R/2] of each token's position, computed in float32 as transformers' rotary
   * embedding does (angle = pos · inv_freq rounded to float32), and rows [B, S] = 0…N−1: token n
   * reads row n, so any position works without a table of every position.
   */
  private ropeRows(positionIds: string): { cos: string; sin: string; rows: string } {
    const g = this.g
    const { rope } = this.c
    const pos = g.op('Reshape', [g.op('Cast', [positionIds], { to: 1 }), g.const('int64', [2], [-1, 1])]) // [N, 1]
    const angle = g.op('Mul', [pos, g.initializer(g.fresh('rope_inv_freq'), 'float32', [rope.rotaryDim / 2], Float32Array.from(rope.invFreq))]) // [N, R/2]
    let cos = g.op('Cos', [angle])
    let sin = g.op('Sin', [angle])
    if (rope.attentionScaling !== 1) {
      const s = g.const('float32', [], [rope.attentionScaling])
      cos = g.op('Mul', [cos, s])
      sin = g.op('Mul', [sin, s])
    }
    const rows = g.op('Reshape', [g.op('Range', [g.const('int64', [], [0]), g.op('Size', [positionIds]), g.const('int64', [], [1])]), g.op('Shape', [positionIds])])
    return { cos, sin, rows }
  }

  /** x [B, heads, S, D] rotated by position (rotate-half layout; the first R dims of each head) */
  private applyRope(x: string, heads: number): string {
    const { cos, sin, rows } = this.rope
    return this.g.op('RotaryEmbedding', [x, rows, cos, sin], { interleaved: 0, num_heads: heads, rotary_embedding_dim: this.c.rope.rotaryDim }, MS)
  }
  /**
   * bool [B, 1, G·S, T] (rows as the stacked query heads: g·S + s): key j is visible to new token s
   * when j ≤ P + s (causal over cache slots), P + s − j < window (sliding window, when set) and
   * attention_mask[b, j] = 1. Padding queries see nothing; the finite fill keeps their rows finite
   * (transformers uses finfo.min the same way).
   */
  private visibleKeys(window: number): string {
    const hit = this.visible.get(window)
    if (hit) return hit
    const g = this.g
    const T = g.op('Shape', [this.mask], { start: 1, end: 2 })
    const S = g.op('Shape', [this.ids], { start: 1, end: 2 })
    const scalar = (v: string) => g.op('Squeeze', [v, g.const('int64', [1], [0])])
    const Ts = scalar(T)
    const Ps = scalar(g.op('Sub', [T, S]))
    const one = g.const('int64', [], [1])
    const rows = g.op('Unsqueeze', [g.op('Range', [Ps, Ts, one]), g.const('int64', [1], [1])]) // [S, 1] absolute slot of each new token
    const cols = g.op('Unsqueeze', [g.op('Range', [g.const('int64', [], [0]), Ts, one]), g.const('int64', [1], [0])]) // [1, T]
    let seen = g.op('LessOrEqual', [cols, rows]) // [S, T]
    if (window > 0) seen = g.op('And', [seen, g.op('Less', [g.op('Sub', [rows, cols]), g.const('int64', [], [window])])])
    const G = this.c.numHeads / this.c.numKvHeads
    if (G > 1) seen = g.op('Tile', [seen, g.const('int64', [2], [G, 1])]) // [G·S, T]
    const notPad = g.op('Unsqueeze', [g.op('Cast', [this.mask], { to: 9 }), g.const('int64', [2], [1, 2])]) // [B, 1, 1, T]
    const out = g.op('And', [seen, notPad])
    this.visible.set(window, out)
    return out
  }
}

export function emitDecoder(c: ModelConfig, weights: WeightSource, opts: InferOptions = {}): Graph {
  const g = new Graph({ name: `${c.family}_decoder`, opset: opts.opset ?? 17, msOpset: 1 })
  const { numKvHeads: KV, headDim: D } = c
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length'])
  const positions = g.input('position_ids', 'int64', ['batch_size', 'sequence_length'])
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) g.input(pastName(i, kind), 'float32', ['batch_size', KV, 'past_sequence_length', D])
  }
  const ops = new InferOps(g, c, new GraphWeights(g, c, weights, opts.where ?? 'weights', opts.storage), ids, mask, positions)
  const { hidden, logits } = decoderForward(c, ops)
  const bs = ops.bs
  g.op('Reshape', [logits, g.op('Concat', [bs, g.const('int64', [1], [c.vocabSize])], { axis: 0 })], {}, { name: 'logits' })
  g.op('Reshape', [hidden, g.op('Concat', [bs, g.const('int64', [1], [c.hiddenSize])], { axis: 0 })], {}, { name: HIDDEN_OUTPUT })
  g.output('logits', 'float32', ['batch_size', 'sequence_length', c.vocabSize])
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) g.output(presentName(i, kind), 'float32', ['batch_size', KV, 'total_sequence_length', D])
  }
  g.output(HIDDEN_OUTPUT, 'float32', ['batch_size', 'sequence_length', c.hiddenSize])
  return g
}
