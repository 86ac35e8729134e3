/**
 * Aggregation statistics: the mean and its standard error (sample standard deviation with
 * n-1, over √n — lm-evaluation-harness's mean_stderr), and a paired bootstrap of the
 * difference between two systems scored on the same items.
 */
import { Rng } from '../../rng.js'

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

export function stderrOfMean(xs: readonly number[]): number {
  const n = xs.length
  if (n < 2) return NaN
  const m = mean(xs)
  let ss = 0
  for (const x of xs) ss += (x - m) * (x - m)
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n)
}

export interface BootstrapResult {
  /** statistic(b) - statistic(a) on the full sample */
  delta: number
  /** percentile confidence interval of the delta */
  low: number
  high: number
  /** confidence level, e.g. 0.95 */
  level: number
  resamples: number
  /** share of resamples where the delta's sign differs from the full-sample delta's (≈ a two-sided p/2) */
  signFlip: number
}

/**
 * Paired bootstrap (Koehn 2004): resample item indices with replacement, the same indices for
 * both systems, and recompute `statistic` on each side. `statistic(indices)` must aggregate that
 * system's per-item data over the given indices (a mean for accuracy, a ratio for perplexity).
 */
export function pairedBootstrap(n: number, statA: (idx: Int32Array) => number, statB: (idx: Int32Array) => number, opts: { resamples?: number; seed?: number; level?: number } = {}): BootstrapResult {
  const resamples = opts.resamples ?? 1000
  const level = opts.level ?? 0.95
  const rng = Rng.fromSeed(opts.seed ?? 1234)
  const all = Int32Array.from({ length: n }, (_, i) => i)
  const delta = statB(all) - statA(all)
  const deltas: number[] = []
  const idx = new Int32Array(n)
  let flips = 0
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.min(n - 1, Math.floor(rng.next() * n))
    const d = statB(idx) - statA(idx)
    deltas.push(d)
    if (Math.sign(d) !== Math.sign(delta)) flips++
  }
  deltas.sort((a, b) => a - b)
  const q = (p: number): number => deltas[Math.min(deltas.length - 1, Math.max(0, Math.floor(p * deltas.length)))]!
  return { delta, low: q((1 - level) / 2), high: q(1 - (1 - level) / 2), level, resamples, signFlip: flips / resamples }
}
