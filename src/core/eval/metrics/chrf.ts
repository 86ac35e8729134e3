/**
 * chrF as sacrebleu 2.0 computes it (`CHRF()`): character n-grams of order 1..6 (code points,
 * whitespace removed), word order 0, β = 2; per order the precision and recall of clipped matches,
 * averaged over the orders that exist on both sides (sacrebleu's default, eps_smoothing=False) and
 * combined as F_β; `epsSmoothing` gives the chrF++.py variant (average of per-order F, ε for empty
 * orders). With several references a sentence uses the one with its best sentence-level score.
 * Corpus chrF sums the chosen statistics over sentences. Scores are 0..100.
 * Source: sacrebleu/metrics/chrf.py (mjpost/sacrebleu v2.0.0).
 */
import { referencesPerSentence, SACREBLEU_VERSION } from './bleu.js'

export interface ChrfOptions {
  charOrder?: number
  beta?: number
  /** keep whitespace inside character n-grams (sacrebleu `whitespace=True`) */
  whitespace?: boolean
  epsSmoothing?: boolean
}

export interface ChrfResult {
  score: number
  /** [hyp, ref, match] counts per order, flattened */
  stats: number[]
  beta: number
  format(): string
  signature: string
}

function charNgrams(chars: string[], n: number): Map<string, number> {
  const m = new Map<string, number>()
  for (let i = 0; i + n <= chars.length; i++) {
    const k = chars.slice(i, i + n).join('')
    m.set(k, (m.get(k) ?? 0) + 1)
  }
  return m
}

function prepare(s: string, whitespace: boolean): string[] {
  return Array.from(whitespace ? s : s.split(/\s+/u).join(''))
}

function pairStats(hyp: string[], ref: string[], order: number): number[] {
  const stats: number[] = []
  for (let n = 1; n <= order; n++) {
    const h = charNgrams(hyp, n)
    const r = charNgrams(ref, n)
    let match = 0
    for (const [k, c] of h) match += Math.min(c, r.get(k) ?? 0)
    stats.push(Math.max(0, hyp.length - n + 1), Math.max(0, ref.length - n + 1), match)
  }
  return stats
}

/** sacrebleu CHRF._compute_f_score, scaled to 0..100 */
export function chrfFromStats(stats: readonly number[], beta = 2, epsSmoothing = false): number {
  const eps = 1e-16
  const factor = beta * beta
  const order = stats.length / 3
  let score = 0
  let effective = 0
  let avgP = 0
  let avgR = 0
  for (let i = 0; i < order; i++) {
    const [nHyp, nRef, nMatch] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!]
    const p = nHyp > 0 ? nMatch / nHyp : eps
    const r = nRef > 0 ? nMatch / nRef : eps
    const denom = factor * p + r
    score += denom > 0 ? ((1 + factor) * p * r) / denom : eps
    if (nHyp > 0 && nRef > 0) { avgP += p; avgR += r; effective++ }
  }
  if (epsSmoothing) return (100 * score) / order
  if (effective === 0) return 0
  avgP /= effective
  avgR /= effective
  if (avgP + avgR === 0) return 0
  return (100 * (1 + factor) * avgP * avgR) / (factor * avgP + avgR)
}

/** Corpus chrF of `hyps` against refs[set][sentence] ('' / null = missing). */
export function corpusChrf(hyps: readonly string[], refSets: readonly (readonly (string | null | undefined)[])[], opts: ChrfOptions = {}): ChrfResult {
  const order = opts.charOrder ?? 6
  const beta = opts.beta ?? 2
  const ws = opts.whitespace ?? false
  const eps = opts.epsSmoothing ?? false
  const { refs, nrefs } = referencesPerSentence(hyps.length, refSets)
  const sum = new Array<number>(order * 3).fill(0)
  hyps.forEach((h, i) => {
    const hc = prepare(h, ws)
    let best: number[] | undefined
    let bestScore = -1
    for (const r of refs[i]!) {
      const st = pairStats(hc, prepare(r, ws), order)
      const sc = chrfFromStats(st, beta, eps)
      if (sc > bestScore) { best = st; bestScore = sc }
    }
    if (best) best.forEach((v, j) => { sum[j]! += v })
  })
  const score = chrfFromStats(sum, beta, eps)
  const signature = `nrefs:${nrefs}|case:mixed|eff:${eps ? 'no' : 'yes'}|nc:${order}|nw:0|space:${ws ? 'yes' : 'no'}|version:${SACREBLEU_VERSION}`
  return { score, stats: sum, beta, signature, format: () => `chrF${beta} = ${score.toFixed(2)}` }
}
