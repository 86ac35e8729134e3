/**
 * The parameter layout: the trained tensors (paramSpecs, or LoRA's A/B) in order. The step graphs take each
 * parameter and each AdamW moment as its own input and return each updated tensor as its own
 * output (not one flat [N] buffer): onnxruntime-node hands every output back in a freshly
 * allocated buffer, and a 52 MB buffer is above glibc's mmap threshold, so each step paid page
 * faults on fresh memory for params, m and v (~30 ms per 52 MB output here); tensors of a few MB
 * come from reused heap memory. Per-tensor inputs also spare the graph a Split and a Concat over
 * [N], and keep each AdamW chain on one cache-sized tensor (measured: AdamW + outputs 173 → 81 ms
 * at 12.9M parameters, 1 thread).
 */
import { LlmError } from '../../core/errors.js'
import type { ParamSpec } from '../model/params.js'

export interface FlatLayout {
  readonly specs: readonly ParamSpec[]
  /** element offset of each tensor if the tensors were laid out back to back */
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

/** Copies of named tensors in layout order; every tensor must be present with the right size. */
export function packTensors(layout: FlatLayout, tensors: Map<string, Float32Array>, what: string): Float32Array[] {
  const known = new Set(layout.specs.map((s) => s.name))
  const extra = [...tensors.keys()].filter((k) => !known.has(k))
  if (extra.length) throw new LlmError(`${what}: unexpected tensor(s) ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}`, { hint: 'does the model config match these weights?' })
  return layout.specs.map((s, i) => {
    const data = tensors.get(s.name)
    if (!data) throw new LlmError(`${what}: missing tensor ${s.name}`, { hint: 'does the model config match these weights?' })
    if (data.length !== layout.sizes[i]) {
      throw new LlmError(`${what}: ${s.name} has ${data.length} values, expected [${s.shape.join(', ')}] = ${layout.sizes[i]}`)
    }
    return data.slice()
  })
}

/** Named copies of tensors held in layout order. */
export function unpackTensors(layout: FlatLayout, tensors: readonly Float32Array[]): Map<string, Float32Array> {
  return new Map(layout.specs.map((s, i) => [s.name, tensors[i].slice()]))
}

/** zeroed tensors in layout order (fresh AdamW moments, an empty gradient sum) */
export function zeroTensors(layout: FlatLayout): Float32Array[] {
  return layout.sizes.map((n) => new Float32Array(n))
}

/** Graph input/output names of tensor `i` for a role (param, m, v, grad …): `role:hf.name`. */
export function tensorName(role: string, spec: ParamSpec): string {
  return `${role}:${spec.name}`
}
