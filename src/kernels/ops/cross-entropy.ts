/**
 * Mean cross-entropy over the targets that are not ignored (PyTorch F.cross_entropy with
 * ignore_index; here any negative target, e.g. −100, is ignored). An all-ignored batch gives 0
 * (PyTorch gives NaN) so a padded micro-batch cannot poison the run.
 *
 *   forward   logp[M, V] = logsoftmax(logits)                     kept for backward
 *             valid[M]   = target ≥ 0,  n = max(Σ valid, 1)
 *             loss []    = −Σ_m valid_m · logp[m, target_m] / n
 *   backward  dlogits[M, V] = (softmax(logits) − onehot(target)) · valid_m · dloss / n
 *             (one ScatterElements adds −w_m at each row's target column)
 */
import type { Tape, Value } from '../autodiff/tape.js'

/** logits [M, V]; targets int64 [M] graph value. Returns the scalar loss. */
export function crossEntropy(t: Tape, logits: Value, targets: string): Value {
  const g = t.g
  const [M] = logits.shape
  const keep = g.op('GreaterOrEqual', [targets, g.const('int64', [], [0])])
  const valid = g.op('Cast', [keep], { to: 1 })
  const safeTargets = t.reshape(g.op('Max', [targets, g.const('int64', [], [0])]), [M, 1])
  const logp = g.op('LogSoftmax', [logits.name], { axis: 1 })
  const picked = t.reshape(g.op('GatherElements', [logp, safeTargets], { axis: 1 }), [M])
  const count = g.op('Max', [g.op('ReduceSum', [valid], { keepdims: 0 }), t.scalar(1)])
  const total = g.op('ReduceSum', [g.op('Mul', [picked, valid])], { keepdims: 0 })
  const loss = g.op('Neg', [g.op('Div', [total, count])])
  return t.record('crossEntropy', [logits], [{ name: loss, shape: [] }], ([dloss]) => {
    if (!dloss) return [undefined]
    const w = t.reshape(g.op('Mul', [valid, g.op('Div', [dloss, count])]), [M, 1])
    const scaled = g.op('Mul', [g.op('Exp', [logp]), w])
    return [g.op('ScatterElements', [scaled, safeTargets, g.op('Neg', [w])], { axis: 1, reduction: 'add' })]
  })[0]
}
