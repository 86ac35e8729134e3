/**
 * Seeded pseudo-random numbers for parameter initialisation and tests: deterministic across
 * platforms (32-bit integer arithmetic only), so `initLlamaParams(cfg, seed)` is reproducible.
 */
import { Rng } from '../../core/rng.js'

/** uniform floats in [0, 1) from mulberry32 seeded with `seed` as is */
export function uniform(seed: number): () => number {
  const rng = new Rng(seed)
  return () => rng.next()
}

/** Standard normal samples (Box–Muller on the generator above). */
export function normal(seed: number): () => number {
  const u = uniform(seed)
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const s = spare
      spare = undefined
      return s
    }
    let u1 = 0
    while (u1 === 0) u1 = u()
    const r = Math.sqrt(-2 * Math.log(u1))
    const th = 2 * Math.PI * u()
    spare = r * Math.sin(th)
    return r * Math.cos(th)
  }
}
