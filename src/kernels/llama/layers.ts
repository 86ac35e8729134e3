/**
 * Inference op families of a Llama decoder, emitted with dynamic shapes (symbolic batch, new
 * tokens and cache length) in standard ONNX ops only, so the graph runs in any onnxruntime and in
 * transformers.js. (The training engine's op families in `src/kernels/ops` are static-shape and
 * carry backward rules; these are forward-only.)
 *
 * Letters: B batch, S new tokens, P cached tokens, T = P + S, N = B·S rows, C hidden, H query
 * heads, KV key/value heads, G = H/KV queries per KV head, D head size, F MLP width, V vocab.
 * Activations between blocks are kept 2-D [N, C] so every projection is one Gemm reading the
 * Hugging Face [out, in] weight with transB (no Transpose node).
 */
import type { Graph } from '../onnx/graph.js'

/** Dynamic sizes every block needs, computed once per graph. */
export interface Dims {
  /** Shape(input_ids) = [B, S] as int64 [2] */
  bs: string
}

/** y[N, out] = x[N, in] @ w[out, in]ᵀ (nn.Linear without bias). */
export function linear(g: Graph, x: string, w: string): string {
  return g.op('Gemm', [x, w], { transB: 1 })
}

/**
 * RMSNorm (LlamaRMSNorm): y = x / sqrt(mean(x²) + eps) · w, over the last axis. Spelled
 * Pow → ReduceMean → Add → Sqrt → Div → Mul, the pattern onnxruntime fuses into one
 * SimplifiedLayerNormalization kernel.
 */
export function rmsNorm(g: Graph, x: string, w: string, eps: number): string {
  const sq = g.op('Pow', [x, g.const('float32', [], [2])])
  const meanSq = g.opset >= 18
    ? g.op('ReduceMean', [sq, g.const('int64', [1], [-1])], { keepdims: 1 })
    : g.op('ReduceMean', [sq], { axes: [-1], keepdims: 1 })
  const rms = g.op('Sqrt', [g.op('Add', [meanSq, g.const('float32', [], [eps])])])
  return g.op('Mul', [g.op('Div', [x, rms]), w])
}

export interface Rope { cos: string; sinSigned: string; swap: string }

/**
 * Rotate-half RoPE tables from position_ids, computed in float32 like transformers'
 * LlamaRotaryEmbedding: inv_freq[j] = theta^(−2j/D), angle = pos · inv_freq,
 * cos/sin = cat(angle, angle). With swap(x) = [x₂, x₁] and sinSigned = [−sin, sin],
 * rotate_half(x)·sin = swap(x)·sinSigned. Tables are [B, S, 1, D] to broadcast over heads.
 */
export function ropeTables(g: Graph, positionIds: string, D: number, theta: number): Rope {
  const half = D / 2
  const inv = new Float32Array(half)
  for (let j = 0; j < half; j++) inv[j] = 1 / Math.pow(theta, (2 * j) / D)
  const pos = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), g.const('int64', [2], [2, 3])]) // [B, S, 1, 1]
  const angle = g.op('Mul', [pos, g.initializer(g.fresh('rope_inv_freq'), 'float32', [half], inv)]) // [B, S, 1, D/2]
  const both = g.op('Concat', [angle, angle], { axis: -1 }) // [B, S, 1, D]
  const sign = Float32Array.from({ length: D }, (_, i) => (i < half ? -1 : 1))
  return {
    cos: g.op('Cos', [both]),
    sinSigned: g.op('Mul', [g.op('Sin', [both]), g.const('float32', [D], sign)]),
    swap: g.const('int64', [D], Array.from({ length: D }, (_, i) => (i + half) % D)),
  }
}

/** x [B, S, heads, D] rotated by position. */
export function applyRope(g: Graph, x: string, r: Rope): string {
  const swapped = g.op('Gather', [x, r.swap], { axis: 3 })
  return g.op('Add', [g.op('Mul', [x, r.cos]), g.op('Mul', [swapped, r.sinSigned])])
}

/**
 * Which keys each query may see, as bool [B, 1, 1, S, T] (broadcasts over KV and G): key j is
 * visible to new token i when j ≤ P + i (causal over cache slots) and attention_mask[b, j] = 1
 * (not padding). Padding queries see nothing; attention then uses a finite fill value so their
 * rows stay finite instead of NaN (as transformers does with finfo.min).
 */
export function visibleKeys(g: Graph, attentionMask: string, inputIds: string): string {
  const T = g.op('Shape', [attentionMask], { start: 1, end: 2 })
  const S = g.op('Shape', [inputIds], { start: 1, end: 2 })
  const scalar = (v: string) => g.op('Squeeze', [v, g.const('int64', [1], [0])])
  const Ts = scalar(T)
  const Ps = scalar(g.op('Sub', [T, S]))
  const one = g.const('int64', [], [1])
  const rows = g.op('Range', [Ps, Ts, one]) // [S] absolute slot of each new token
  const cols = g.op('Range', [g.const('int64', [], [0]), Ts, one]) // [T]
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [cols, g.const('int64', [1], [0])]), // [1, T]
    g.op('Unsqueeze', [rows, g.const('int64', [1], [1])]), // [S, 1]
  ]) // [S, T]
  const notPad = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: 9 }), g.const('int64', [3], [1, 2, 3])]) // [B, 1, 1, 1, T]
  return g.op('And', [causal, notPad])
}

export interface AttentionWeights { q: string; k: string; v: string; o: string }
export interface AttentionShape { H: number; KV: number; D: number }

/**
 * Grouped-query self-attention with a KV cache. x [N, C]; past k/v [B, KV, P, D].
 * Returns the block output [N, C] and the present k/v [B, KV, T, D] (names as given).
 *
 * GQA without repeating K/V: query heads are grouped as [B, KV, G, S, D] (head h = kv·G + r uses
 * KV head h / G, as transformers' repeat_kv) and multiplied with K/V unsqueezed to [B, KV, 1, ·, ·];
 * MatMul broadcasts over G.
 */
export function selfAttention(
  g: Graph, x: string, dims: Dims, w: AttentionWeights, s: AttentionShape, rope: Rope, visible: string,
  past: { key: string; value: string }, present: { key: string; value: string },
): string {
  const { H, KV, D } = s
  const G = H / KV
  const heads = (n: number) => g.op('Concat', [dims.bs, g.const('int64', [2], [n, D])], { axis: 0 })
  const q = applyRope(g, g.op('Reshape', [linear(g, x, w.q), heads(H)]), rope) // [B, S, H, D]
  const k = applyRope(g, g.op('Reshape', [linear(g, x, w.k), heads(KV)]), rope) // [B, S, KV, D]
  const v = g.op('Reshape', [linear(g, x, w.v), heads(KV)])
  const kAll = g.op('Concat', [past.key, g.op('Transpose', [k], { perm: [0, 2, 1, 3] })], { axis: 2 }, { name: present.key }) // [B, KV, T, D]
  const vAll = g.op('Concat', [past.value, g.op('Transpose', [v], { perm: [0, 2, 1, 3] })], { axis: 2 }, { name: present.value })
  const grouped = g.op('Concat', [dims.bs, g.const('int64', [3], [KV, G, D])], { axis: 0 })
  const qg = g.op('Transpose', [g.op('Reshape', [q, grouped])], { perm: [0, 2, 3, 1, 4] }) // [B, KV, G, S, D]
  const qScaled = g.op('Mul', [qg, g.const('float32', [], [1 / Math.sqrt(D)])])
  const one = g.const('int64', [1], [2])
  const kT = g.op('Unsqueeze', [g.op('Transpose', [kAll], { perm: [0, 1, 3, 2] }), one]) // [B, KV, 1, D, T]
  const scores = g.op('MatMul', [qScaled, kT]) // [B, KV, G, S, T]
  const masked = g.op('Where', [visible, scores, g.const('float32', [], [-3.4028234663852886e38])])
  const probs = g.op('Softmax', [masked], { axis: -1 })
  const o = g.op('MatMul', [probs, g.op('Unsqueeze', [vAll, one])]) // [B, KV, G, S, D]
  const rows = g.op('Reshape', [g.op('Transpose', [o], { perm: [0, 3, 1, 2, 4] }), g.const('int64', [2], [-1, H * D])]) // [N, H·D]
  return linear(g, rows, w.o)
}

/** SwiGLU MLP (LlamaMLP): down(silu(gate(x)) · up(x)), x [N, C]. */
export function swiglu(g: Graph, x: string, gate: string, up: string, down: string): string {
  const a = linear(g, x, gate)
  const silu = g.op('Mul', [a, g.op('Sigmoid', [a])])
  return linear(g, g.op('Mul', [silu, linear(g, x, up)]), down)
}
