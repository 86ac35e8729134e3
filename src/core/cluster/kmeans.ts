/**
 * k-means on embedding vectors: k-means++ seeding (Arthur & Vassilvitskii 2007: each next centre
 * drawn with probability ∝ squared distance to the nearest chosen one) from a seeded mulberry32
 * (core/rng.ts), then Lloyd iterations until no assignment changes (at most maxIter). Squared
 * Euclidean distance; on unit vectors that is 2 − 2·cosine. An emptied cluster takes the point
 * farthest from its centre. Silhouette (Rousseeuw 1987): s(i) = (b − a) / max(a, b) with a the
 * mean distance to its own cluster, b the smallest mean distance to another; s = 0 for singletons;
 * the score is the mean over points (Euclidean distances, as scikit-learn's silhouette_score).
 */
import { LlmError } from '../errors.js'
import { Rng } from '../rng.js'

export interface KMeansResult {
  k: number
  /** cluster of each point */
  assignments: number[]
  centroids: Float64Array[]
  /** Σ squared distance of every point to its centre */
  inertia: number
  iterations: number
}

const sqDist = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; s += d * d }
  return s
}

export function kmeans(points: readonly ArrayLike<number>[], k: number, seed = 0, maxIter = 300): KMeansResult {
  const n = points.length
  if (!Number.isInteger(k) || k < 1) throw new LlmError(`k must be a positive integer, got ${k}`, { where: '--k' })
  if (k > n) throw new LlmError(`cannot make ${k} clusters of ${n} texts`, { where: '--k' })
  const dim = points[0]!.length
  const rng = Rng.fromSeed(seed)
  const centroids: Float64Array[] = [Float64Array.from(points[rng.int(n)]!)]
  const nearest = points.map((p) => sqDist(p, centroids[0]!))
  while (centroids.length < k) {
    const total = nearest.reduce((a, b) => a + b, 0)
    let pick = 0
    if (total > 0) {
      let r = rng.next() * total
      for (pick = 0; pick < n - 1; pick++) { r -= nearest[pick]!; if (r < 0) break }
    } else pick = rng.int(n)
    const c = Float64Array.from(points[pick]!)
    centroids.push(c)
    points.forEach((p, i) => { nearest[i] = Math.min(nearest[i]!, sqDist(p, c)) })
  }
  const assignments = new Array<number>(n).fill(-1)
  let iterations = 0
  for (; iterations < maxIter; iterations++) {
    let changed = false
    points.forEach((p, i) => {
      let best = 0, bd = Infinity
      centroids.forEach((c, j) => { const d = sqDist(p, c); if (d < bd) { bd = d; best = j } })
      if (assignments[i] !== best) { assignments[i] = best; changed = true }
    })
    if (!changed) break
    const sums = centroids.map(() => new Float64Array(dim))
    const counts = new Array<number>(k).fill(0)
    points.forEach((p, i) => { const s = sums[assignments[i]!]!; counts[assignments[i]!]!++; for (let d = 0; d < dim; d++) s[d]! += p[d]! })
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) {
        // the point farthest from its centre starts the empty cluster
        let far = 0, fd = -1
        points.forEach((p, i) => { const d = sqDist(p, centroids[assignments[i]!]!); if (d > fd) { fd = d; far = i } })
        centroids[j] = Float64Array.from(points[far]!)
        assignments[far] = j
      } else centroids[j] = sums[j]!.map((x) => x / counts[j]!)
    }
  }
  const inertia = points.reduce((a, p, i) => a + sqDist(p, centroids[assignments[i]!]!), 0)
  return { k, assignments, centroids, inertia, iterations }
}

export function silhouette(points: readonly ArrayLike<number>[], assignments: readonly number[]): number {
  const n = points.length
  const k = assignments.reduce((m, a) => Math.max(m, a), -1) + 1
  if (k < 2 || n < 3) return 0
  const size = new Array<number>(k).fill(0)
  for (const a of assignments) size[a]!++
  let total = 0
  for (let i = 0; i < n; i++) {
    const sum = new Array<number>(k).fill(0)
    for (let j = 0; j < n; j++) if (j !== i) sum[assignments[j]!]! += Math.sqrt(sqDist(points[i]!, points[j]!))
    const own = assignments[i]!
    if (size[own]! <= 1) continue
    const a = sum[own]! / (size[own]! - 1)
    let b = Infinity
    for (let c = 0; c < k; c++) if (c !== own && size[c]! > 0) b = Math.min(b, sum[c]! / size[c]!)
    total += (b - a) / Math.max(a, b)
  }
  return total / n
}

/** k from 2..maxK with the best silhouette (ties: the smaller k). */
export function autoK(points: readonly ArrayLike<number>[], seed = 0, maxK = 10): { best: KMeansResult; scores: { k: number; silhouette: number }[] } {
  const top = Math.min(maxK, points.length - 1)
  if (top < 2) throw new LlmError(`--auto-k needs at least 3 texts, got ${points.length}`, { where: '--auto-k' })
  let best: KMeansResult | undefined
  let bestS = -Infinity
  const scores: { k: number; silhouette: number }[] = []
  for (let k = 2; k <= top; k++) {
    const r = kmeans(points, k, seed)
    const s = silhouette(points, r.assignments)
    scores.push({ k, silhouette: s })
    if (s > bestS + 1e-12) { bestS = s; best = r }
  }
  return { best: best!, scores }
}

/** Indices of each cluster's points, closest to its centre first. */
export function central(points: readonly ArrayLike<number>[], r: KMeansResult): number[][] {
  const by = r.centroids.map(() => [] as number[])
  r.assignments.forEach((c, i) => by[c]!.push(i))
  return by.map((ids, c) => ids.sort((a, b) => sqDist(points[a]!, r.centroids[c]!) - sqDist(points[b]!, r.centroids[c]!) || a - b))
}
