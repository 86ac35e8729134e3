/**
 * Pooling token states into one vector per text, as sentence-transformers does
 * (sentence_transformers/models/Pooling.py and Normalize.py):
 *   mean  Σ_s mask[b,s] · h[b,s,:] / max(Σ_s mask[b,s], 1e-9)
 *   cls   h[b,0,:]
 *   last  h[b,s*,:] with s* the last position whose mask is 1 (decoder models, right padding)
 *   l2    x / max(‖x‖₂, 1e-12)
 * `hidden` is row-major [B, S, C] (float32); sums run in float64.
 */
export type Pooling = 'mean' | 'cls' | 'last'

export const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'last']

export function pool(hidden: ArrayLike<number>, mask: ArrayLike<number>, B: number, S: number, C: number, how: Pooling): Float32Array[] {
  if (hidden.length !== B * S * C) throw new Error(`pool: hidden has ${hidden.length} values, expected ${B}x${S}x${C}`)
  const out: Float32Array[] = []
  for (let b = 0; b < B; b++) {
    const v = new Float64Array(C)
    if (how === 'mean') {
      let n = 0
      for (let s = 0; s < S; s++) {
        const m = mask[b * S + s]!
        if (!m) continue
        n += m
        const o = (b * S + s) * C
        for (let c = 0; c < C; c++) v[c]! += m * hidden[o + c]!
      }
      const d = Math.max(n, 1e-9)
      for (let c = 0; c < C; c++) v[c]! /= d
    } else {
      let s = 0
      if (how === 'last') for (let t = 0; t < S; t++) if (mask[b * S + t]) s = t
      const o = (b * S + s) * C
      for (let c = 0; c < C; c++) v[c] = hidden[o + c]!
    }
    out.push(Float32Array.from(v))
  }
  return out
}

/** x / max(‖x‖₂, 1e-12) (torch.nn.functional.normalize), in float64 then rounded to float32. */
export function l2Normalize(x: Float32Array): Float32Array {
  let sq = 0
  for (let i = 0; i < x.length; i++) sq += x[i]! * x[i]!
  const d = Math.max(Math.sqrt(sq), 1e-12)
  const out = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) out[i] = x[i]! / d
  return out
}

/** Dot product in float64 (= cosine similarity for unit vectors). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}
