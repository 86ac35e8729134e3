/**
 * One flat float32 buffer for all parameters (and, with the same layout, for gradients and the
 * AdamW moments). The step graph takes `params`, `m`, `v` [N] as inputs and returns them updated,
 * so the weights never sit in the protobuf (no 2 GiB limit) and the optimizer is a handful of
 * elementwise ops over [N] instead of ~15 ops per tensor.
 *
 * Layout: the tensors of `llamaParamSpecs` in order, row-major, back to back. Consecutive matrices
 * with the same column count may be grouped into one block (q/k/v, gate/up): in the graph the
 * block is one leaf [Σ rows, C], so its projections are one Gemm and its gradient one tensor.
 */
import { LlmError } from '../../core/errors.js'
import type { Tape, Value } from '../autodiff/tape.js'
import type { ParamSpec } from './llama.js'

export interface FlatBlock {
  /** the tensors it holds, consecutive in the layout */
  readonly names: readonly string[]
  readonly shape: readonly number[]
  readonly size: number
}

export interface FlatLayout {
  readonly specs: readonly ParamSpec[]
  readonly blocks: readonly FlatBlock[]
  readonly offsets: readonly number[]
  readonly sizes: readonly number[]
  /** N, the total number of parameters */
  readonly total: number
}

/** `groups`: lists of consecutive 2-D tensors with equal column counts to fuse into one block. */
export function flatLayout(specs: readonly ParamSpec[], groups: readonly (readonly string[])[] = []): FlatLayout {
  const offsets: number[] = []
  const sizes: number[] = []
  let total = 0
  for (const s of specs) {
    offsets.push(total)
    const n = s.shape.reduce((a, b) => a * b, 1)
    sizes.push(n)
    total += n
  }
  const groupOf = new Map<string, readonly string[]>()
  for (const g of groups) for (const n of g) groupOf.set(n, g)
  const blocks: FlatBlock[] = []
  for (let i = 0; i < specs.length;) {
    const group = groupOf.get(specs[i].name)
    if (!group || group[0] !== specs[i].name) {
      if (group) throw new LlmError(`layout: fused group ${group.join('+')} does not start at ${specs[i].name}`)
      blocks.push({ names: [specs[i].name], shape: specs[i].shape, size: sizes[i] })
      i++
      continue
    }
    const members = specs.slice(i, i + group.length)
    const cols = members[0].shape[1]
    if (members.some((m, k) => m.name !== group[k] || m.shape.length !== 2 || m.shape[1] !== cols)) {
      throw new LlmError(`layout: ${group.join('+')} are not consecutive matrices with ${cols} columns`)
    }
    const rows = members.reduce((a, m) => a + m.shape[0], 0)
    blocks.push({ names: group, shape: [rows, cols], size: rows * cols })
    i += group.length
  }
  return { specs, blocks, offsets, sizes, total }
}

/** the block key: its tensor names joined with '+' */
export const blockKey = (names: readonly string[]): string => names.join('+')

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

/** Graph side: split the flat `params` input into one watched leaf per block (one Split node), keyed by blockKey. */
export function splitParams(t: Tape, layout: FlatLayout, params: string): Map<string, Value> {
  const pieces = t.g.opN('Split', [params, t.ints(layout.blocks.map((b) => b.size))], layout.blocks.length, { axis: 0 })
  const out = new Map<string, Value>()
  layout.blocks.forEach((b, i) => {
    const name = b.shape.length === 1 ? pieces[i] : t.reshape(pieces[i], b.shape)
    out.set(blockKey(b.names), t.watch({ name, shape: b.shape }))
  })
  return out
}

/** Graph side: the flat gradient [N] from per-block gradients (keyed by blockKey; one Concat node). */
export function concatGrads(t: Tape, layout: FlatLayout, grads: Map<string, string>): string {
  const parts = layout.blocks.map((b) => {
    const g = grads.get(blockKey(b.names))
    if (!g) throw new LlmError(`no gradient for ${blockKey(b.names)}`)
    return b.shape.length === 1 ? g : t.reshape(g, [b.size])
  })
  return t.g.op('Concat', parts, { axis: 0 })
}

/**
 * Graph side: bool [N], true where weight decay applies (tensors of 2+ dims, nanoGPT's grouping,
 * as torch_reference.py does). Built from ConstantOfShape runs so ORT folds it at load instead of
 * the model carrying N bytes.
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
    value: { kind: 'tensor', dtype: 'bool', dims: [1], data: Uint8Array.of(r.decay ? 1 : 0) },
  }))
  return pieces.length === 1 ? pieces[0] : t.g.op('Concat', pieces, { axis: 0 })
}
