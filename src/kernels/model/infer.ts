/**
 * Emitter (a): the inference graph of `decoderForward`, with a KV cache, in the Optimum /
 * transformers.js layout, standard ONNX ops only:
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
 * Letters: B batch, S new tokens, P cached tokens, T = P + S, N = B·S rows, C hidden, H query
 * heads, KV key/value heads, G = H/KV, D head size, R rotary dims, V vocab. Activations between
 * blocks are rows [N, C] (layers.ts). Weights are float32 initializers under their Hugging Face names.
 */
import { LlmError } from '../../core/errors.js'
import { tensorToFloat32, type SafeTensor } from '../../core/safetensors.js'
import { Graph } from '../onnx/graph.js'
import type { Activation, ModelConfig } from './config.js'
import { decoderForward, type Ops } from './forward.js'
import { paramSpecs } from './params.js'
import { activate, linear, rmsNorm } from './layers.js'
import { rotateHalf } from './rope.js'
import { HIDDEN_OUTPUT, pastName, presentName } from './io-names.js'

/** Anything with `get(name)`: a Map of tensors, a Checkpoint. */
export interface WeightSource { get(name: string): SafeTensor | undefined }

export interface InferOptions {
  /** default 17 */
  opset?: number
  /** where the weights came from, for error messages */
  where?: string
}

export { pastName, presentName, HIDDEN_OUTPUT }

const MIN_FLOAT = -3.4028234663852886e38

class InferOps implements Ops<string> {
  /** Shape(input_ids) = [B, S] */
  readonly bs: string
  private readonly cos: string
  private readonly sinSigned: string
  private readonly swap: string
  /** window → bool [B, 1, 1, S, T] mask of visible keys */
  private readonly visible = new Map<number, string>()

  constructor(private readonly g: Graph, private readonly c: ModelConfig, private readonly ids: string, private readonly mask: string, positions: string) {
    this.bs = g.op('Shape', [ids])
    ;({ cos: this.cos, sinSigned: this.sinSigned, swap: this.swap } = this.ropeTables(positions))
  }

  embed(weight: string, scale: number): string {
    const rows = this.g.op('Gather', [weight, this.g.op('Reshape', [this.ids, this.g.const('int64', [1], [-1])])], { axis: 0 }) // [N, C]
    return scale === 1 ? rows : this.g.op('Mul', [rows, this.g.const('float32', [], [scale])])
  }

  linear(x: string, module: string, bias: boolean): string {
    return linear(this.g, x, `${module}.weight`, bias ? `${module}.bias` : undefined)
  }

  head(x: string, weight: string): string {
    return linear(this.g, x, weight)
  }

  rmsNorm(x: string, weight: string, eps: number, offset: 0 | 1): string {
    return rmsNorm(this.g, x, weight, eps, offset)
  }

  gatedAct(gate: string, up: string, act: Activation): string {
    return this.g.op('Mul', [activate(this.g, gate, act), up])
  }

  add(a: string, b: string): string {
    return this.g.op('Add', [a, b])
  }

  split(x: string, widths: number[]): string[] {
    return this.g.opN('Split', [x, this.g.const('int64', [widths.length], widths)], widths.length, { axis: -1 })
  }

  /**
   * Grouped-query attention with a KV cache. Query heads are grouped [B, KV, G, S, D] (head
   * h = kv·G + r uses KV head h / G, as transformers' repeat_kv) and multiplied with K/V
   * unsqueezed to [B, KV, 1, ·, ·]: MatMul broadcasts over G, nothing is repeated.
   */
  attention(layer: number, qRows: string, kRows: string, vRows: string): string {
    const g = this.g
    const { numHeads: H, numKvHeads: KV, headDim: D } = this.c
    const G = H / KV
    const heads = (n: number) => g.op('Concat', [this.bs, g.const('int64', [2], [n, D])], { axis: 0 })
    const q = this.applyRope(g.op('Reshape', [qRows, heads(H)])) // [B, S, H, D]
    const k = this.applyRope(g.op('Reshape', [kRows, heads(KV)])) // [B, S, KV, D]
    const v = g.op('Reshape', [vRows, heads(KV)])
    const kAll = g.op('Concat', [pastName(layer, 'key'), g.op('Transpose', [k], { perm: [0, 2, 1, 3] })], { axis: 2 }, { name: presentName(layer, 'key') }) // [B, KV, T, D]
    const vAll = g.op('Concat', [pastName(layer, 'value'), g.op('Transpose', [v], { perm: [0, 2, 1, 3] })], { axis: 2 }, { name: presentName(layer, 'value') })
    const grouped = g.op('Concat', [this.bs, g.const('int64', [3], [KV, G, D])], { axis: 0 })
    const qg = g.op('Transpose', [g.op('Reshape', [q, grouped])], { perm: [0, 2, 3, 1, 4] }) // [B, KV, G, S, D]
    const qScaled = g.op('Mul', [qg, g.const('float32', [], [1 / Math.sqrt(D)])])
    const axis2 = g.const('int64', [1], [2])
    const kT = g.op('Unsqueeze', [g.op('Transpose', [kAll], { perm: [0, 1, 3, 2] }), axis2]) // [B, KV, 1, D, T]
    const scores = g.op('MatMul', [qScaled, kT]) // [B, KV, G, S, T]
    const masked = g.op('Where', [this.visibleKeys(this.c.slidingWindows[layer] ?? 0), scores, g.const('float32', [], [MIN_FLOAT])])
    const probs = g.op('Softmax', [masked], { axis: -1 })
    const o = g.op('MatMul', [probs, g.op('Unsqueeze', [vAll, axis2])]) // [B, KV, G, S, D]
    return g.op('Reshape', [g.op('Transpose', [o], { perm: [0, 3, 1, 2, 4] }), g.const('int64', [2], [-1, H * D])]) // [N, H·D]
  }

  /**
   * cos and [−sin, sin] tables [B, S, 1, D] from position_ids, computed in float32 as transformers'
   * rotary embedding does (angle = pos · inv_freq rounded to float32), padded with cos 1 / sin 0 over
   * the pass-through dims of a partial rotary head. With swap = the rotate-half permutation,
   * rotate_half(x)·sin = swap(x)·sinSigned.
   */
  private ropeTables(positionIds: string): { cos: string; sinSigned: string; swap: string } {
    const g = this.g
    const { rope, headDim: D } = this.c
    const R = rope.rotaryDim
    const pos = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), g.const('int64', [2], [2, 3])]) // [B, S, 1, 1]
    const angle = g.op('Mul', [pos, g.initializer(g.fresh('rope_inv_freq'), 'float32', [R / 2], Float32Array.from(rope.invFreq))]) // [B, S, 1, R/2]
    const both = g.op('Concat', [angle, angle], { axis: -1 }) // [B, S, 1, R]
    const sign = Float32Array.from({ length: R }, (_, i) => (i < R / 2 ? -1 : 1))
    let cos = g.op('Cos', [both])
    let sin = g.op('Mul', [g.op('Sin', [both]), g.const('float32', [R], sign)])
    if (rope.attentionScaling !== 1) {
      const s = g.const('float32', [], [rope.attentionScaling])
      cos = g.op('Mul', [cos, s])
      sin = g.op('Mul', [sin, s])
    }
    if (R < D) {
      const pads = g.const('int64', [8], [0, 0, 0, 0, 0, 0, 0, D - R])
      cos = g.op('Pad', [cos, pads, g.const('float32', [], [1])])
      sin = g.op('Pad', [sin, pads, g.const('float32', [], [0])])
    }
    return { cos, sinSigned: sin, swap: g.const('int64', [D], rotateHalf(rope, D).source) }
  }

  /** x [B, S, heads, D] rotated by position */
  private applyRope(x: string): string {
    const g = this.g
    const swapped = g.op('Gather', [x, this.swap], { axis: 3 })
    return g.op('Add', [g.op('Mul', [x, this.cos]), g.op('Mul', [swapped, this.sinSigned])])
  }

  /**
   * bool [B, 1, 1, S, T]: key j is visible to new token i when j ≤ P + i (causal over cache slots),
   * P + i − j < window (sliding window, when set) and attention_mask[b, j] = 1. Padding queries see
   * nothing; the finite fill keeps their rows finite (transformers uses finfo.min the same way).
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
    const notPad = g.op('Unsqueeze', [g.op('Cast', [this.mask], { to: 9 }), g.const('int64', [3], [1, 2, 3])]) // [B, 1, 1, 1, T]
    const out = g.op('And', [seen, notPad])
    this.visible.set(window, out)
    return out
  }
}

/** Check every weight's presence and shape against the config and add it as a float32 initializer. */
function addWeights(g: Graph, c: ModelConfig, weights: WeightSource, where: string): void {
  for (const { name, shape } of paramSpecs(c)) {
    const t = weights.get(name)
    if (!t) throw new LlmError(`weight '${name}' is missing`, { where, hint: `expected Hugging Face ${c.family} parameter names` })
    if (t.shape.join(',') !== shape.join(',')) {
      throw new LlmError(`weight '${name}' has shape [${t.shape.join(',')}], config.json implies [${shape.join(',')}]`, { where })
    }
    g.initializer(name, 'float32', shape, tensorToFloat32(t, name))
  }
}

export function emitDecoder(c: ModelConfig, weights: WeightSource, opts: InferOptions = {}): Graph {
  const g = new Graph({ name: `${c.family}_decoder`, opset: opts.opset ?? 17 })
  const { numKvHeads: KV, headDim: D } = c
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length'])
  const positions = g.input('position_ids', 'int64', ['batch_size', 'sequence_length'])
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) g.input(pastName(i, kind), 'float32', ['batch_size', KV, 'past_sequence_length', D])
  }
  addWeights(g, c, weights, opts.where ?? 'weights')

  const ops = new InferOps(g, c, ids, mask, positions)
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
