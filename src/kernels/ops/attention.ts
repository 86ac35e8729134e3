/**
 * Causal scaled-dot-product attention with grouped-query heads, softmax backward by hand (this
 * onnxruntime build has no SoftmaxGrad contrib op).
 *
 * Letters: B batch, T time, NH query heads, NKV key/value heads, G = NH/NKV queries per KV head,
 * D head size. Query head h uses KV head ⌊h/G⌋ (PyTorch repeat_interleave). Instead of repeating
 * K and V, the G query heads of a group are stacked along time: q[B, NH, T, D] is the same buffer
 * as q[B, NKV, G·T, D], so each product is one batched MatMul over [B, NKV] and the gradients of
 * K and V sum over the group for free. Products with a transposed operand use com.microsoft
 * FusedMatMul (transA/transB/alpha read in place; the 1/√D scale rides on alpha).
 *
 *   forward   s[B, NKV, G·T, T] = α · q @ kᵀ + mask          α = 1/√D, mask [T, T] −∞ above the diagonal
 *             p                 = softmax(s, last axis)       kept for backward
 *             o[B, NKV, G·T, D] = p @ v                       = o[B, NH, T, D]
 *   backward  dp = do @ vᵀ                  dv[B, NKV, T, D] = pᵀ @ do
 *             ds = p · (dp − Σ_j dp·p)       (softmax Jacobian-vector product; Σ_j dp·p = Σ_d do·o,
 *                                             the FlashAttention identity, summed over D instead of T)
 *             dq = α · ds @ k               dk[B, NKV, T, D] = α · dsᵀ @ q
 */
import { LlmError } from '../../core/errors.js'
import { float } from '../onnx/graph.js'
import type { Tape, Value } from '../autodiff/tape.js'

const MS = 'com.microsoft'

/**
 * Additive attention mask: 0 where query i may see key j, −∞ elsewhere. Causal (j ≤ i); with
 * `window` > 0 also i − j < window (Mistral's sliding window); with `segmentIds` int64 [B, T]
 * (packed rows) also same segment, so packed samples never see each other — then the mask is
 * [B, 1, T, T], else [T, T]. Built in the graph (ConstantOfShape + Trilu, folded by ORT at load)
 * so long contexts add no T² bytes to the model.
 */
export function attentionMask(t: Tape, T: number, window = 0, segmentIds?: string): string {
  const g = t.g
  const full = g.op('ConstantOfShape', [t.ints([T, T])], { value: { kind: 'tensor', dtype: 'float32', dims: [1], data: Float32Array.of(-Infinity) } })
  let mask = g.op('Trilu', [full, g.const('int64', [], [1])], { upper: 1 })
  if (window > 0 && window < T) mask = g.op('Add', [mask, g.op('Trilu', [full, g.const('int64', [], [-window])], { upper: 0 })])
  if (!segmentIds) return mask
  const same = g.op('Equal', [g.op('Unsqueeze', [segmentIds, t.ints([2])]), g.op('Unsqueeze', [segmentIds, t.ints([1])])]) // [B, T, T]
  return g.op('Unsqueeze', [g.op('Where', [same, mask, g.const('float32', [], [-Infinity])]), t.ints([1])])
}

/** The plain causal mask [T, T]. */
export function causalMask(t: Tape, T: number): string {
  return attentionMask(t, T)
}

/** q [B, NH, T, D], k and v [B, NKV, T, D] → o [B, NH, T, D]. `mask` from attentionMask: [T, T] or [B, 1, T, T]. */
export function causalAttention(t: Tape, q: Value, k: Value, v: Value, mask: string): Value {
  const g = t.g
  const [B, NH, T, D] = q.shape
  const NKV = k.shape[1]
  if (NH % NKV !== 0 || k.shape.join(',') !== v.shape.join(',') || k.shape[0] !== B || k.shape[2] !== T || k.shape[3] !== D) {
    throw new LlmError(`attention: q [${q.shape.join(',')}] with k [${k.shape.join(',')}], v [${v.shape.join(',')}] is not a grouped-query layout`)
  }
  const G = NH / NKV
  const alpha = 1 / Math.sqrt(D)
  const grouped = [B, NKV, G * T, D]
  const qg = t.reshape(q.name, grouped)
  const s = g.op('FusedMatMul', [qg, k.name], { transB: 1, alpha: float(alpha) }, { domain: MS })
  // [B, NKV, G·T, T] is the same buffer as [B, NH, T, T]: view it so the [T, T] mask broadcasts
  const masked = g.op('Add', [t.reshape(s, [B, NH, T, T]), mask])
  const p = t.reshape(g.op('Softmax', [masked], { axis: -1 }), [B, NKV, G * T, T])
  const og = g.op('MatMul', [p, v.name])
  const o = t.reshape(og, [B, NH, T, D])
  return t.record('causalAttention', [q, k, v], [{ name: o, shape: [B, NH, T, D] }], ([dOut], [needQ, needK, needV]) => {
    if (!dOut) return [undefined, undefined, undefined]
    const dO = t.reshape(dOut, grouped)
    const dv = needV ? g.op('FusedMatMul', [p, dO], { transA: 1 }, { domain: MS }) : undefined
    if (!needQ && !needK) return [undefined, undefined, dv]
    const dp = g.op('FusedMatMul', [dO, v.name], { transB: 1 }, { domain: MS })
    const rowDot = g.op('ReduceSum', [g.op('Mul', [dO, og]), t.ints([-1])], { keepdims: 1 })
    const ds = g.op('Mul', [p, g.op('Sub', [dp, rowDot])])
    const dq = needQ ? t.reshape(g.op('FusedMatMul', [ds, k.name], { alpha: float(alpha) }, { domain: MS }), [B, NH, T, D]) : undefined
    const dk = needK ? g.op('FusedMatMul', [ds, qg], { transA: 1, alpha: float(alpha) }, { domain: MS }) : undefined
    return [dq, dk, dv]
  })[0]
}
