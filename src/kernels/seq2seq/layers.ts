/**
 * Layer pieces of an encoder-decoder transformer as standard-op inference graphs: linear (with
 * and without bias), LayerNorm, RMSNorm (T5LayerNorm), the activations Hugging Face configs name,
 * multi-head attention with an additive bias and a visibility mask, head split/merge, sinusoidal
 * (Marian) position tables and T5's bucketed relative position bias. The projections, norms and
 * activations are the shared inference layers (src/kernels/model/layers.ts).
 *
 * Shapes: B batch, S new (query) positions, T key positions, H heads, D head size, C model width,
 * N = B·S rows of a 2-D activation [N, C] (every Gemm works on 2-D rows, as in ../llama).
 */
import { LlmError } from '../../core/errors.js'
import type { Graph } from '../onnx/graph.js'
import { activate, hfActivation, linear } from '../model/layers.js'

/** the most negative float32: masked scores, as transformers' torch.finfo(float32).min */
export const MASK_FILL = -3.4028234663852886e38

export { layerNorm, linear, rmsNorm } from '../model/layers.js'

/** y[N, out] = x[N, in] @ w[out, in]ᵀ + b (nn.Linear with bias): one Gemm. */
export function linearBias(g: Graph, x: string, w: string, b: string): string {
  return linear(g, x, w, b)
}

/** transformers' ACT2FN by name (the names a seq2seq config carries). */
export function activation(g: Graph, x: string, name: string): string {
  const act = hfActivation(name)
  if (!act) throw new LlmError(`activation '${name}' is not supported`, { hint: 'supported: relu, gelu, gelu_new, gelu_pytorch_tanh, silu, swish' })
  return activate(g, x, act)
}

/** int64 [4] = [B, S, H, D] from bs = Shape(ids) = [B, S]. */
function headShape(g: Graph, bs: string, H: number, D: number): string {
  return g.op('Concat', [bs, g.const('int64', [2], [H, D])], { axis: 0 })
}

/** rows [B·S, H·D] → [B, H, S, D], with bs = [B, S] (int64 [2]). */
export function splitHeads(g: Graph, rows: string, bs: string, H: number, D: number): string {
  return g.op('Transpose', [g.op('Reshape', [rows, headShape(g, bs, H, D)])], { perm: [0, 2, 1, 3] })
}

/** [B, H, S, D] → rows [B·S, H·D]. */
export function mergeHeads(g: Graph, x: string, H: number, D: number): string {
  return g.op('Reshape', [g.op('Transpose', [x], { perm: [0, 2, 1, 3] }), g.const('int64', [2], [-1, H * D])])
}

export interface AttendOptions {
  /** multiply q·kᵀ by this (BART/Marian: D^-0.5; T5: none) */
  scale?: number
  /** additive float bias broadcastable to [B, H, S, T] (T5's position bias) */
  bias?: string
  /** bool broadcastable to [B, H, S, T]: false entries get MASK_FILL before the softmax */
  visible?: string
}

/** softmax(q·kᵀ·scale + bias, masked) · v for q [B, H, S, D], k/v [B, H, T, D] → [B, H, S, D]. */
export function attend(g: Graph, q: string, k: string, v: string, opts: AttendOptions = {}): string {
  let scores = g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]) // [B, H, S, T]
  if (opts.scale !== undefined && opts.scale !== 1) scores = g.op('Mul', [scores, g.const('float32', [], [opts.scale])])
  if (opts.bias) scores = g.op('Add', [scores, opts.bias])
  if (opts.visible) scores = g.op('Where', [opts.visible, scores, g.const('float32', [], [MASK_FILL])])
  return g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v])
}

/** attention_mask int64 [B, T] (1 = real token) → bool [B, 1, 1, T] for `visible`. */
export function keyPaddingVisible(g: Graph, mask: string): string {
  return g.op('Unsqueeze', [g.op('Cast', [mask], { to: 9 }), g.const('int64', [2], [1, 2])])
}

/**
 * Causal visibility for S new queries at absolute positions P..P+S-1 over T = P+S keys, as bool
 * [1, 1, S, T]: key j is visible to query i when j ≤ P + i. `P` and `S` are int64 [1].
 */
export function causalVisible(g: Graph, P: string, S: string): string {
  const scalar = (v: string): string => g.op('Squeeze', [v, g.const('int64', [1], [0])])
  const one = g.const('int64', [], [1])
  const T = g.op('Add', [P, S])
  const rows = g.op('Range', [scalar(P), scalar(T), one]) // [S]
  const cols = g.op('Range', [g.const('int64', [], [0]), scalar(T), one]) // [T]
  const ok = g.op('LessOrEqual', [g.op('Unsqueeze', [cols, g.const('int64', [1], [0])]), g.op('Unsqueeze', [rows, g.const('int64', [1], [1])])]) // [S, T]
  return g.op('Unsqueeze', [ok, g.const('int64', [2], [0, 1])])
}

/**
 * Marian's sinusoidal table (MarianSinusoidalPositionalEmbedding._init_weight): row pos, column j
 * has angle pos / 10000^(2·(j//2)/dim); sin of the even-j angles fill the first half, cos of the
 * odd-j angles the second half (not interleaved). Computed in float64 like numpy, stored float32.
 */
export function marianSinusoidalTable(numPositions: number, dim: number): Float32Array {
  const out = new Float32Array(numPositions * dim)
  const sentinel = dim % 2 === 0 ? dim / 2 : (dim + 1) / 2
  for (let pos = 0; pos < numPositions; pos++) {
    const row = pos * dim
    let s = 0, c = sentinel
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim)
      if (j % 2 === 0) out[row + s++] = Math.sin(angle)
      else out[row + c++] = Math.cos(angle)
    }
  }
  return out
}

/**
 * Rows [P, P+S) of a [maxPositions, C] position table, as [S, C] (broadcasts over the batch when
 * added to [B, S, C]). P and S are int64 [1].
 */
export function positionRows(g: Graph, table: string, P: string, S: string): string {
  return g.op('Slice', [table, P, g.op('Add', [P, S]), g.const('int64', [1], [0])])
}

/**
 * T5's _relative_position_bucket for every relative position in [-maxDistance, maxDistance]
 * (positions beyond saturate in the top bucket, so clamping to that range is exact). Float steps
 * mirror torch's float32 arithmetic: log(n / max_exact) / log(max_distance / max_exact) ·
 * (num_buckets − max_exact), truncated toward zero.
 */
export function t5BucketTable(bidirectional: boolean, numBuckets: number, maxDistance: number): BigInt64Array {
  const out = new BigInt64Array(2 * maxDistance + 1)
  const f = Math.fround
  for (let r = -maxDistance; r <= maxDistance; r++) {
    let nb = numBuckets
    let bucket = 0
    let n: number
    if (bidirectional) {
      nb = Math.floor(nb / 2)
      if (r > 0) bucket += nb
      n = Math.abs(r)
    } else {
      n = -Math.min(r, 0)
    }
    const maxExact = Math.floor(nb / 2)
    if (n < maxExact) bucket += n
    else {
      const logRatio = f(Math.log(f(n / maxExact)))
      const large = maxExact + Math.trunc(f(f(logRatio / f(Math.log(maxDistance / maxExact))) * (nb - maxExact)))
      bucket += Math.min(large, nb - 1)
    }
    out[r + maxDistance] = BigInt(bucket)
  }
  return out
}

/**
 * T5Attention.compute_bias: the bias [1, H, S, T] between queries at positions qPos (int64 [S])
 * and keys 0..T-1 (T = int64 [1]), from the relative_attention_bias embedding [numBuckets, H].
 */
export function t5PositionBias(
  g: Graph, embedding: string, qPos: string, T: string,
  opts: { bidirectional: boolean; numBuckets: number; maxDistance: number },
): string {
  const { maxDistance } = opts
  const table = g.const('int64', [2 * maxDistance + 1], t5BucketTable(opts.bidirectional, opts.numBuckets, maxDistance))
  const kPos = g.op('Range', [g.const('int64', [], [0]), g.op('Squeeze', [T, g.const('int64', [1], [0])]), g.const('int64', [], [1])]) // [T]
  const rel = g.op('Sub', [g.op('Unsqueeze', [kPos, g.const('int64', [1], [0])]), g.op('Unsqueeze', [qPos, g.const('int64', [1], [1])])]) // [S, T] memory − context
  const clamped = g.op('Clip', [rel, g.const('int64', [], [-maxDistance]), g.const('int64', [], [maxDistance])])
  const bucket = g.op('Gather', [table, g.op('Add', [clamped, g.const('int64', [], [maxDistance])])], { axis: 0 }) // [S, T]
  const values = g.op('Gather', [embedding, bucket], { axis: 0 }) // [S, T, H]
  return g.op('Unsqueeze', [g.op('Transpose', [values], { perm: [2, 0, 1] }), g.const('int64', [1], [0])]) // [1, H, S, T]
}
