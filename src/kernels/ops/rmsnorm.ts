/**
 * RMSNorm (Zhang & Sennrich 2019; Hugging Face LlamaRMSNorm): y = x · rsqrt(mean(x²) + eps) · w.
 *
 *   forward   r[M, 1]    = 1 / sqrt(mean_c x[M, C]² + eps)      kept for backward
 *             xhat[M, C] = x · r                                 kept for backward
 *             y[M, C]    = xhat · w[C]
 *   backward  dw[C]      = Σ_m dy · xhat
 *             g[M, C]    = dy · w
 *             dx[M, C]   = r · (g − xhat · mean_c(g · xhat))
 * (d r/d x_j = −r³ x_j / C, so Σ_i g_i x_i · (−r³ x_j / C) = −r · xhat_j · mean(g · xhat).)
 * The forward is onnxruntime's SimplifiedLayerNormalization kernel (RMSNorm; registered in the ONNX
 * domain by ORT), which also returns r as its second output; `rmsNormPlain` spells the same
 * forward in standard ops and is the reference the fused kernel is tested against.
 */
import { float } from '../onnx/graph.js'
import type { Tape, Value } from '../autodiff/tape.js'

/**
 * `offset` 1 scales by (1 + w) (Gemma's RMSNorm): the forward reads w + 1, and since
 * d(w + 1)/dw = 1 the backward rule is the same with g = dy · (w + 1).
 */
export function rmsNorm(t: Tape, x: Value, w: Value, eps: number, offset: 0 | 1 = 0): Value {
  const scale = offset === 0 ? w.name : t.g.op('Add', [w.name, t.scalar(offset)])
  const [y, r] = t.g.opN('SimplifiedLayerNormalization', [x.name, scale], 2, { axis: -1, epsilon: float(eps), stash_type: 1 })
  return withBackward(t, x, w, scale, y, r, t.g.op('Mul', [x.name, r]))
}

/** The same forward in standard ONNX ops (reference for the fused kernel). */
export function rmsNormPlain(t: Tape, x: Value, w: Value, eps: number): Value {
  const g = t.g
  const meanSq = g.op('ReduceMean', [g.op('Mul', [x.name, x.name])], { axes: [-1], keepdims: 1 })
  const r = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSq, t.scalar(eps)])])])
  const xhat = g.op('Mul', [x.name, r])
  return withBackward(t, x, w, w.name, g.op('Mul', [xhat, w.name]), r, xhat)
}

/** `scale` is the tensor the forward multiplied by: w, or w + offset */
function withBackward(t: Tape, x: Value, w: Value, scale: string, y: string, r: string, xhat: string): Value {
  const g = t.g
  const [M, C] = x.shape
  return t.record('rmsNorm', [x, w], [{ name: y, shape: [M, C] }], ([dy], [needX, needW]) => {
    if (!dy) return [undefined, undefined]
    const dw = needW ? g.op('ReduceSum', [g.op('Mul', [dy, xhat]), t.ints([0])], { keepdims: 0 }) : undefined
    let dx: string | undefined
    if (needX) {
      const gx = g.op('Mul', [dy, scale])
      const proj = g.op('ReduceMean', [g.op('Mul', [gx, xhat])], { axes: [-1], keepdims: 1 })
      dx = g.op('Mul', [g.op('Sub', [gx, g.op('Mul', [xhat, proj])]), r])
    }
    return [dx, dw]
  })[0]
}
