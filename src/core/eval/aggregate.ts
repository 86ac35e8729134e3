/**
 * Per-item metrics and their aggregation, lm-evaluation-harness's definitions:
 *  - acc: argmax of the choices' log-likelihoods is the gold one (ties: the first, as numpy).
 *  - acc_norm: the same on log-likelihood / len(choice) in characters.
 *  - cloze acc: the whole continuation is the greedy (argmax) one; perplexity: exp(-mean(ll)).
 *  - perplexity tasks, over all documents together: token_perplexity = exp(-Σll / Σtokens),
 *    word_perplexity = exp(-Σll / Σwords) with words = len(re.split(r"\s+", doc)),
 *    byte_perplexity = exp(-Σll / Σbytes) (UTF-8), bits_per_byte = -Σll / Σbytes / ln 2.
 *  - generate: exact_match (0/1) and ROUGE-1/2/L F-measure (×100) averaged over items; BLEU and
 *    chrF are corpus-level (sacrebleu), 0..100.
 * Mean metrics carry the standard error of the mean; the corpus-level ones report none.
 *
 * `perSample` keeps what each metric needs per item, so `statistic` can recompute any metric on
 * a resample of items (the paired bootstrap of `llm eval --compare` uses exactly this function).
 */
import { bleuFromStats, sentenceBleuStats } from './metrics/bleu.js'
import { chrfFromStats, corpusChrf } from './metrics/chrf.js'
import { exactMatch } from './metrics/exact.js'
import { rougeMulti } from './metrics/rouge.js'
import { stderrOfMean } from './metrics/stats.js'
import { macroF1 } from './metrics/f1.js'
import type { TaskSpec } from './tasks.js'
import { SACREBLEU_VERSION } from './metrics/bleu.js'

export interface SampleRecord {
  doc_id: number
  where?: string
  arguments: [string, string][]
  loglikelihoods: number[]
  choices?: string[]
  gold?: number | string
  is_greedy?: boolean
  tokens?: number
  words?: number
  bytes?: number
  prediction?: number | string
  prediction_norm?: number
  references?: string[]
  correct?: boolean
  metrics?: Record<string, number>
}

export interface PerSample {
  doc_id: number[]
  /** mean metrics: one value per item */
  values: Record<string, number[]>
  loglikelihood?: number[]
  tokens?: number[]
  words?: number[]
  bytes?: number[]
  /** per item: correct[4], total[4], sysLen, refLen */
  bleu_stats?: number[][]
  /** per item: [hyp, ref, match] × 6 orders */
  chrf_stats?: number[][]
  /** classification: predicted and gold class per item, and the number of classes */
  classes?: { pred: number[]; gold: number[]; n: number }
}

export interface MetricValue { value: number; stderr: number | null; higherIsBetter: boolean }

export interface TaskResult {
  task: TaskSpec
  metrics: Record<string, MetricValue>
  samples: SampleRecord[]
  perSample: PerSample
  nOriginal: number
  nEffective: number
  signatures: Record<string, string>
}

const MEAN_METRICS = new Set(['acc', 'acc_norm', 'exact_match', 'rouge1', 'rouge2', 'rougeL'])
export const LOWER_IS_BETTER = new Set(['perplexity', 'token_perplexity', 'word_perplexity', 'byte_perplexity', 'bits_per_byte'])

const argmax = (xs: readonly number[]): number => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0)
const sumAt = (xs: readonly number[], idx: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < idx.length; i++) s += xs[idx[i]!]!; return s }

/** Metric `name` over the items `idx` (indices into perSample's arrays). */
export function statistic(name: string, ps: PerSample, idx: ArrayLike<number>): number {
  if (MEAN_METRICS.has(name)) return sumAt(ps.values[name]!, idx) / idx.length
  const ll = ps.loglikelihood ?? []
  switch (name) {
    case 'perplexity': return Math.exp(-sumAt(ll, idx) / idx.length)
    case 'token_perplexity': return Math.exp(-sumAt(ll, idx) / sumAt(ps.tokens!, idx))
    case 'word_perplexity': return Math.exp(-sumAt(ll, idx) / sumAt(ps.words!, idx))
    case 'byte_perplexity': return Math.exp(-sumAt(ll, idx) / sumAt(ps.bytes!, idx))
    case 'bits_per_byte': return -sumAt(ll, idx) / sumAt(ps.bytes!, idx) / Math.LN2
    case 'bleu': {
      const s = new Array<number>(10).fill(0)
      for (let i = 0; i < idx.length; i++) ps.bleu_stats![idx[i]!]!.forEach((v, j) => { s[j]! += v })
      return bleuFromStats({ correct: s.slice(0, 4), total: s.slice(4, 8), sysLen: s[8]!, refLen: s[9]! }).score
    }
    case 'macro_f1': return macroF1(ps.classes!.pred, ps.classes!.gold, ps.classes!.n, idx)
    case 'chrf': {
      const s = new Array<number>(ps.chrf_stats![0]?.length ?? 18).fill(0)
      for (let i = 0; i < idx.length; i++) ps.chrf_stats![idx[i]!]!.forEach((v, j) => { s[j]! += v })
      return chrfFromStats(s)
    }
    default: throw new Error(`no statistic for metric '${name}'`)
  }
}

export function aggregate(task: TaskSpec, samples: SampleRecord[], nOriginal: number): TaskResult {
  const ps: PerSample = { doc_id: samples.map((s) => s.doc_id), values: {} }
  const put = (m: string, v: number): void => { (ps.values[m] ??= []).push(v) }
  const signatures: Record<string, string> = {}
  for (const s of samples) {
    s.metrics = {}
    if (task.type === 'classification') {
      s.correct = s.prediction === s.gold
      s.metrics.acc = s.correct ? 1 : 0
    } else if (task.type === 'multiple_choice') {
      const lens = s.choices!.map((c) => c.length)
      s.prediction = argmax(s.loglikelihoods)
      s.prediction_norm = argmax(s.loglikelihoods.map((ll, i) => ll / lens[i]!))
      s.correct = s.prediction === s.gold
      s.metrics.acc = s.correct ? 1 : 0
      s.metrics.acc_norm = s.prediction_norm === s.gold ? 1 : 0
    } else if (task.type === 'cloze') {
      s.correct = s.is_greedy === true
      s.prediction = s.correct ? String(s.gold) : '(not greedy)'
      s.metrics.acc = s.correct ? 1 : 0
      s.metrics.loglikelihood = s.loglikelihoods[0]!
    } else if (task.type === 'perplexity') {
      s.metrics.loglikelihood = s.loglikelihoods[0]!
    } else {
      const pred = String(s.prediction ?? '')
      const refs = s.references ?? []
      s.metrics.exact_match = exactMatch(pred, refs)
      s.correct = s.metrics.exact_match === 1
      const r = rougeMulti(refs, pred)
      s.metrics.rouge1 = 100 * r.rouge1.fmeasure
      s.metrics.rouge2 = 100 * r.rouge2.fmeasure
      s.metrics.rougeL = 100 * r.rougeL.fmeasure
      const b = sentenceBleuStats(pred, refs.filter((x) => x !== ''))
      ;(ps.bleu_stats ??= []).push([...b.correct, ...b.total, b.sysLen, b.refLen])
      ;(ps.chrf_stats ??= []).push(corpusChrf([pred], refs.map((x) => [x])).stats)
    }
    for (const m of ['acc', 'acc_norm', 'exact_match', 'rouge1', 'rouge2', 'rougeL']) if (m in s.metrics) put(m, s.metrics[m]!)
  }
  if (task.type === 'cloze' || task.type === 'perplexity') ps.loglikelihood = samples.map((s) => s.loglikelihoods[0]!)
  if (task.type === 'perplexity') {
    ps.tokens = samples.map((s) => s.tokens!)
    ps.words = samples.map((s) => s.words!)
    ps.bytes = samples.map((s) => s.bytes!)
  }
  if (task.type === 'classification') ps.classes = { pred: samples.map((s) => s.prediction as number), gold: samples.map((s) => s.gold as number), n: samples[0]?.choices?.length ?? 0 }
  if (task.type === 'generate') {
    const nrefs = new Set(samples.map((s) => (s.references ?? []).filter((x) => x !== '').length))
    const n = nrefs.size === 1 ? String([...nrefs][0]) : 'var'
    signatures.bleu = `nrefs:${n}|case:mixed|eff:no|tok:13a|smooth:exp|version:${SACREBLEU_VERSION}`
    signatures.chrf = `nrefs:${n}|case:mixed|eff:yes|nc:6|nw:0|space:no|version:${SACREBLEU_VERSION}`
  }
  const all = samples.map((_, i) => i)
  const metrics: Record<string, MetricValue> = {}
  if (samples.length > 0) {
    for (const m of task.metrics) {
      metrics[m] = {
        value: statistic(m, ps, all),
        stderr: MEAN_METRICS.has(m) ? stderrOfMean(ps.values[m]!) : null,
        higherIsBetter: !LOWER_IS_BETTER.has(m),
      }
      if (metrics[m]!.stderr !== null && !Number.isFinite(metrics[m]!.stderr!)) metrics[m]!.stderr = null
    }
  }
  return { task, metrics, samples, perSample: ps, nOriginal, nEffective: samples.length, signatures }
}
