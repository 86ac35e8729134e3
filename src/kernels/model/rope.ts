/**
 * Rotary position embeddings, as numbers: the inverse frequencies of a config's `rope_theta`,
 * `rope_scaling` and `partial_rotary_factor`, rounded step by step the way transformers computes
 * them in float32 (modeling_rope_utils.py), and the cos/sin tables both emitters start from.
 *
 *   inv_freq[j] = 1 / theta^(2j / R)            j < R/2, R = rotary dims of a head
 *   angle(p, j) = p · inv_freq[j];  cos/sin = cat(angle, angle)        (rotate-half layout)
 *   x'[:R] = x[:R]·cos + rotate_half(x[:R])·sin;  x'[R:] = x[R:]      (Phi-3 partial rotary)
 *
 * Kinds: default; `linear` (inv_freq / factor); `dynamic` (NTK: identical to default up to
 * max_position_embeddings, which is as far as we run a model — "static at export"); `llama3`
 * (Llama 3.1/3.2 band-wise scaling). yarn and longrope are refused by name.
 */
import type { ConfigFields, Family } from './config.js'

export interface Rope {
  kind: 'default' | 'linear' | 'dynamic' | 'llama3'
  theta: number
  /** rotated dims at the start of each head (even); the rest pass through */
  rotaryDim: number
  /** float32 values [rotaryDim / 2] */
  invFreq: number[]
  /** cos and sin are multiplied by this (1 for every kind implemented) */
  attentionScaling: number
}

const f32 = Math.fround

/** transformers' `_compute_default_rope_parameters`: 1.0 / (base ** (arange(0, dim, 2).float() / dim)) */
export function defaultInvFreq(theta: number, dim: number): number[] {
  const out: number[] = []
  for (let j = 0; j < dim; j += 2) out.push(f32(1 / f32(Math.pow(f32(theta), f32(j / dim)))))
  return out
}

/** `_compute_llama3_parameters` on float32 tensors */
function llama3(inv: number[], factor: number, lo: number, hi: number, old: number): number[] {
  const loWl = old / lo
  const hiWl = old / hi
  return inv.map((x) => {
    const wl = f32((2 * Math.PI) / x)
    const scaled = wl > loWl ? f32(x / factor) : x
    if (!(wl >= hiWl && wl <= loWl)) return scaled
    const smooth = f32(f32(f32(old / wl) - lo) / (hi - lo))
    return f32(f32(f32(f32(1 - smooth) * scaled) / factor) + f32(smooth * scaled))
  })
}

export function ropeFromHf(f: ConfigFields, family: Family, headDim: number, maxPositions: number): Rope {
  const theta = f.num('rope_theta', 10000)
  // only Phi-3's attention splits heads into rotated and passed-through dims (modeling_phi3.py)
  if (family !== 'phi3') f.only('partial_rotary_factor', [1], `${family} rotates whole heads`)
  const partial = family === 'phi3' ? f.num('partial_rotary_factor', 1) : 1
  const rotaryDim = Math.floor(headDim * partial)
  if (rotaryDim % 2 !== 0 || rotaryDim === 0) f.fail('partial_rotary_factor', `gives ${rotaryDim} rotary dims of a ${headDim}-dim head; RoPE needs an even, non-zero count`)
  const base = defaultInvFreq(theta, rotaryDim)
  const rs = f.json.rope_scaling as Record<string, unknown> | null | undefined
  if (rs === undefined || rs === null) return { kind: 'default', theta, rotaryDim, invFreq: base, attentionScaling: 1 }
  if (typeof rs !== 'object') f.fail('rope_scaling', `must be an object or null, got ${JSON.stringify(rs)}`)
  const kind = rs.rope_type ?? rs.type
  const factor = (): number => {
    const v = rs.factor
    if (typeof v !== 'number' || !(v >= 1)) f.fail('rope_scaling', `factor must be a number ≥ 1, got ${JSON.stringify(v)}`)
    return v
  }
  switch (kind) {
    case 'default':
      return { kind: 'default', theta, rotaryDim, invFreq: base, attentionScaling: 1 }
    case 'linear': {
      const k = factor()
      return { kind: 'linear', theta, rotaryDim, invFreq: base.map((x) => f32(x / k)), attentionScaling: 1 }
    }
    case 'dynamic':
      // NTK-by-parts recomputes the base only past max_position_embeddings, where we never run.
      factor()
      return { kind: 'dynamic', theta, rotaryDim, invFreq: base, attentionScaling: 1 }
    case 'llama3': {
      const num = (k: string): number => {
        const v = rs[k]
        if (typeof v !== 'number' || !(v > 0)) f.fail('rope_scaling', `${k} must be a positive number, got ${JSON.stringify(v)}`)
        return v
      }
      const lo = num('low_freq_factor'), hi = num('high_freq_factor')
      if (!(hi > lo)) f.fail('rope_scaling', `high_freq_factor ${hi} must exceed low_freq_factor ${lo}`)
      const invFreq = llama3(base, factor(), lo, hi, num('original_max_position_embeddings'))
      return { kind: 'llama3', theta, rotaryDim, invFreq, attentionScaling: 1 }
    }
    default:
      return f.fail('rope_scaling', `type ${JSON.stringify(kind)} is not supported`, `implemented: default, linear, dynamic (up to max_position_embeddings ${maxPositions}), llama3; not yarn or longrope`)
  }
}

/**
 * cos/sin tables [positions, headDim] in float32 for positions 0..P−1: rotary dims as transformers
 * computes them (angle rounded to float32, then cos/sin), the pass-through dims cos 1, sin 0 — so
 * one rotate-half formula covers partial rotary too.
 */
export function ropeTables(rope: Rope, headDim: number, positions: number): { cos: Float32Array; sin: Float32Array } {
  const R = rope.rotaryDim
  const half = R / 2
  const cos = new Float32Array(positions * headDim)
  const sin = new Float32Array(positions * headDim)
  for (let p = 0; p < positions; p++) {
    const row = p * headDim
    for (let j = 0; j < half; j++) {
      const a = f32(p * rope.invFreq[j])
      cos[row + j] = cos[row + half + j] = f32(Math.cos(a) * rope.attentionScaling)
      sin[row + j] = sin[row + half + j] = f32(Math.sin(a) * rope.attentionScaling)
    }
    for (let j = R; j < headDim; j++) cos[row + j] = 1
  }
  return { cos, sin }
}

/** rotate_half as a permutation with signs: (rotate_half(x))[i] = sign[i] · x[source[i]]; identity on pass dims. */
export function rotateHalf(rope: Rope, headDim: number): { source: number[]; sign: number[] } {
  const half = rope.rotaryDim / 2
  const source: number[] = [], sign: number[] = []
  for (let i = 0; i < headDim; i++) {
    if (i < half) { source.push(i + half); sign.push(-1) } else if (i < rope.rotaryDim) { source.push(i - half); sign.push(1) } else { source.push(i); sign.push(0) }
  }
  return { source, sign }
}
