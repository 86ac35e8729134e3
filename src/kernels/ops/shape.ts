/**
 * Shape and plumbing ops whose backward is the inverse plumbing.
 *
 *   reshape     y = reshape(x, s)          dx = reshape(dy, shape(x))
 *   transpose   y = transpose(x, perm)     dx = transpose(dy, perm⁻¹)
 *   add         y = a + b (same shape)     da = dy, db = dy          (the residual stream)
 *   split       y_i = x[..., slice_i]      dx = concat(dy_i)          (last axis; zeros where no grad)
 *   scale       y = x · c (constant)       dx = dy · c                (Gemma's embedding scale, LoRA scaling)
 *   addBias     y = x[M, N] + b[N]         dx = dy, db = Σ_m dy       (nn.Linear's bias)
 */
import { LlmError } from '../../core/errors.js'
import type { Tape, Value } from '../autodiff/tape.js'
import { numel } from '../autodiff/tape.js'

export function reshape(t: Tape, x: Value, shape: number[]): Value {
  if (numel(shape) !== numel(x.shape)) throw new LlmError(`reshape: [${x.shape.join(',')}] → [${shape.join(',')}] changes the element count`)
  const y = t.reshape(x.name, shape)
  return t.record('reshape', [x], [{ name: y, shape }], ([dy]) => [dy ? t.reshape(dy, x.shape) : undefined])[0]
}

export function transpose(t: Tape, x: Value, perm: number[]): Value {
  const shape = perm.map((p) => x.shape[p])
  const inverse = perm.map((_, i) => perm.indexOf(i))
  const y = t.g.op('Transpose', [x.name], { perm })
  return t.record('transpose', [x], [{ name: y, shape }], ([dy]) => [dy ? t.g.op('Transpose', [dy], { perm: inverse }) : undefined])[0]
}

export function add(t: Tape, a: Value, b: Value): Value {
  if (a.shape.join(',') !== b.shape.join(',')) throw new LlmError(`add: shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] differ (no broadcasting here)`)
  const y = t.g.op('Add', [a.name, b.name])
  return t.record('add', [a, b], [{ name: y, shape: a.shape }], ([dy]) => [dy, dy])[0]
}

/** Split the last axis into pieces of the given sizes. */
export function splitLast(t: Tape, x: Value, sizes: number[]): Value[] {
  const axis = x.shape.length - 1
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[axis]) throw new LlmError(`split: sizes ${sizes.join('+')} do not add up to ${x.shape[axis]}`)
  const names = t.g.opN('Split', [x.name, t.ints(sizes)], sizes.length, { axis })
  const outs = names.map((name, i) => ({ name, shape: [...x.shape.slice(0, axis), sizes[i]] }))
  return t.record('split', [x], outs, (dys) => {
    const parts = dys.map((dy, i) => dy ?? t.zeros(outs[i].shape))
    return [t.g.op('Concat', parts, { axis })]
  })
}

export function scale(t: Tape, x: Value, c: number): Value {
  const y = t.g.op('Mul', [x.name, t.scalar(c)])
  return t.record('scale', [x], [{ name: y, shape: x.shape }], ([dy]) => [dy ? t.g.op('Mul', [dy, t.scalar(c)]) : undefined])[0]
}

export function addBias(t: Tape, x: Value, b: Value): Value {
  if (x.shape.length !== 2 || b.shape.length !== 1 || b.shape[0] !== x.shape[1]) {
    throw new LlmError(`addBias: x [${x.shape.join(',')}] + b [${b.shape.join(',')}] does not fit (x must be [M, N], b [N])`)
  }
  const y = t.g.op('Add', [x.name, b.name])
  return t.record('addBias', [x, b], [{ name: y, shape: x.shape }], ([dy], [needX, needB]) => [
    needX ? dy : undefined,
    needB && dy ? t.g.op('ReduceSum', [dy, t.ints([0])], { keepdims: 0 }) : undefined,
  ])[0]
}
