/**
 * Token embedding lookup and its scatter-add backward.
 *
 *   forward   y[M, C]  = w[ids[m], :]                                  Gather(w, ids, axis 0)
 *   backward  dw[V, C] = Σ_m onehot(ids[m]) · dy[m, :]                 ScatterND(zeros, ids[M,1], dy, reduction 'add')
 *
 * Repeated ids accumulate (ScatterND reduction='add', float32 on the CPU provider; see
 * docs/ort-training-notes.md). `ids` is an int64 [M] graph value (not differentiable).
 */
import type { Tape, Value } from '../autodiff/tape.js'

export function embedding(t: Tape, w: Value, ids: string, M: number): Value {
  const [V, C] = w.shape
  const y = t.g.op('Gather', [w.name, ids], { axis: 0 })
  return t.record('embedding', [w], [{ name: y, shape: [M, C] }], ([dy]) => {
    if (!dy) return [undefined]
    const idx = t.reshape(ids, [M, 1])
    return [t.g.op('ScatterND', [t.zeros([V, C]), idx, dy], { reduction: 'add' })]
  })[0]
}
