/**
 * One flat float32 buffer for all parameters (and, with the same layout, for gradients and the
 * AdamW moments). The step graph takes `params`, `m`, `v` [N] as inputs and returns them updated,
 * so the weights never sit in the protobuf (no 2 GiB limit) and the optimizer is a handful of
 * elementwise ops over [N] instead of ~15 ops per tensor.
 *
 * Layout: the tensors of `llamaParamSpecs` in order, row-major, back to back.
 */
import { LlmError } from '../../core/errors.js'
import type { Tape, Value } from '../autodiff/tape.js'
import type { ParamSpec } from './llama.js'

export interface FlatLayout {
  readonly specs: readonly ParamSpec[]
  readonly offsets: readonly number[]
  readonly sizes: readonly number[]
  /** N, the total number of parameters */
  readonly total: number
}

export function flatLayout(specs: readonly ParamSpec[]): FlatLayout {
  const offsets: number[] = []
  const sizes: number[] = []
  let total = 0
  for (const s of specs) {
    offsets.push(total)
    const n = s.shape.reduce((a, b) => a * b, 1)
    sizes.push(n)
    total += n
  }
  return { specs, offsets, sizes, total }
}

/** Copy named tensors into one flat buffer; every tensor must be present with the right size. */
export function packFlat(layout: FlatLayout, tensors: Map<string, Float32Array>, what: string): Float32Array {
  const flat = new Float32Array(layout.total)
  const known = new Set(layout.specs.map((s) => s.name))
  const extra = [...tensors.keys()].filter((k) => !known.has(k))
  if (extra.length) throw new LlmError(`${what}: unexpected tensor(s) ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}`, { hint: 'does the model config match these weights?' })
  layout.specs.forEach((s, i) => {
    const data = tensors.get(s.name)
    if (!data) throw new LlmError(`${what}: missing tensor ${s.name}`, { hint: 'does the model config match these weights?' })
    if (data.length !== layout.sizes[i]) {
      throw new LlmError(`${what}: ${s.name} has ${data.length} values, expected [${s.shape.join(', ')}] = ${layout.sizes[i]}`)
    }
    flat.set(data, layout.offsets[i])
  })
  return flat
}

/** Named copies of each tensor in a flat buffer. */
export function unpackFlat(layout: FlatLayout, flat: Float32Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>()
  layout.specs.forEach((s, i) => out.set(s.name, flat.slice(layout.offsets[i], layout.offsets[i] + layout.sizes[i])))
  return out
}

/** Graph side: split the flat `params` input into one watched leaf per tensor (one Split node). */
export function splitParams(t: Tape, layout: FlatLayout, params: string): Map<string, Value> {
  const pieces = t.g.opN('Split', [params, t.ints(layout.sizes)], layout.specs.length, { axis: 0 })
  const out = new Map<string, Value>()
  layout.specs.forEach((s, i) => {
    const name = s.shape.length === 1 ? pieces[i] : t.reshape(pieces[i], s.shape)
    out.set(s.name, t.watch({ name, shape: s.shape }))
  })
  return out
}

/** Graph side: the flat gradient [N] from per-tensor gradients (by tensor name; one Concat node). */
export function concatGrads(t: Tape, layout: FlatLayout, grads: Map<string, string>): string {
  const parts = layout.specs.map((s, i) => {
    const g = grads.get(s.name)
    if (!g) throw new LlmError(`no gradient for ${s.name}`)
    return s.shape.length === 1 ? g : t.reshape(g, [layout.sizes[i]])
  })
  return t.g.op('Concat', parts, { axis: 0 })
}

/**
 * Graph side: float32 [N], 1 where weight decay applies (tensors of 2+ dims, nanoGPT's grouping,
 * as torch_reference.py does), else 0. Built from ConstantOfShape runs, which ORT folds at load,
 * so the model does not carry 4N bytes. (A float multiplier, not a bool for Where: Where over [N]
 * measured ~5× the cost of a Mul pass on the CPU provider.)
 */
export function decayMask(t: Tape, layout: FlatLayout): string {
  const runs: { decay: boolean; size: number }[] = []
  layout.specs.forEach((s, i) => {
    const decay = s.shape.length >= 2
    const last = runs[runs.length - 1]
    if (last && last.decay === decay) last.size += layout.sizes[i]
    else runs.push({ decay, size: layout.sizes[i] })
  })
  const pieces = runs.map((r) => t.g.op('ConstantOfShape', [t.ints([r.size])], {
    value: { kind: 'tensor', dtype: 'float32', dims: [1], data: Float32Array.of(r.decay ? 1 : 0) },
  }))
  return pieces.length === 1 ? pieces[0] : t.g.op('Concat', pieces, { axis: 0 })
}
