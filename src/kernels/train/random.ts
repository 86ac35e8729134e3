/**
 * Seeded pseudo-random numbers for parameter initialisation and tests: deterministic across
 * platforms (32-bit integer arithmetic only), so `initLlamaParams(cfg, seed)` is reproducible.
 */

/** mulberry32: a small, well-mixed 32-bit generator; returns floats in [0, 1). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
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
