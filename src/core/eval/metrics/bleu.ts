/**
 * Corpus BLEU exactly as sacrebleu 2.0 computes it by default (`BLEU()`): the 13a tokenizer
 * (mteval-v13a), n-grams 1..4, counts clipped by the maximum count over a sentence's references,
 * the "closest" reference length (ties go to the shorter one), brevity penalty, and the 'exp'
 * smoothing of mteval-v13a (each order with no match gets 1 / (2^k · total)). Scores are 0..100.
 * References: one array per reference *set* (sacrebleu's layout, refs[set][sentence]); an empty
 * string or null marks a missing reference and turns the signature's nrefs into 'var'.
 * Source: sacrebleu/metrics/bleu.py and tokenizers/tokenizer_13a.py (mjpost/sacrebleu v2.0.0).
 */
export const SACREBLEU_VERSION = '2.0.0'

/** mteval-v13a tokenization (sacrebleu `tok:13a`). */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ')
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>')
  s = ` ${s} `
  // punctuation and symbols in the ASCII ranges {-~ [-` space-& (-+ :-@ / (the apostrophe is not split)
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ') // period and comma unless preceded by a digit
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2') // ... unless followed by a digit
  s = s.replace(/([0-9])(-)/g, '$1 $2 ') // dash preceded by a digit
  return splitWords(s).join(' ')
}

/** Python's str.split(): runs of whitespace, no empty pieces. */
export function splitWords(s: string): string[] {
  return s.split(/\s+/u).filter((w) => w !== '')
}

export type BleuTokenizer = '13a' | 'none'

export interface BleuStats {
  /** clipped n-gram matches for n = 1..4 */
  correct: number[]
  /** hypothesis n-grams for n = 1..4 */
  total: number[]
  sysLen: number
  refLen: number
}

export interface BleuResult extends BleuStats {
  score: number
  /** precisions in percent (after smoothing) */
  precisions: number[]
  bp: number
  ratio: number
  /** sacrebleu's one-line rendering */
  format(): string
  signature: string
}

const MAX_ORDER = 4

function ngramCounts(words: string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>()
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      // \u0001 never appears in tokenized text: a safe join for n-gram keys
      const key = n + '\u0001' + words.slice(i, i + n).join('\u0001')
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  return counts
}

/** Sufficient statistics of one sentence against its references (already filtered non-empty). */
export function sentenceBleuStats(hyp: string, refs: readonly string[], tokenize: BleuTokenizer = '13a'): BleuStats {
  const tok = (s: string): string[] => splitWords(tokenize === '13a' ? tokenize13a(s) : s)
  const hw = tok(hyp)
  const maxRef = new Map<string, number>()
  let refLen = -1
  let bestDiff = Infinity
  for (const r of refs) {
    const rw = tok(r)
    const diff = Math.abs(hw.length - rw.length)
    if (diff < bestDiff || (diff === bestDiff && rw.length < refLen)) { bestDiff = diff; refLen = rw.length }
    for (const [k, c] of ngramCounts(rw, MAX_ORDER)) if (c > (maxRef.get(k) ?? 0)) maxRef.set(k, c)
  }
  const correct = new Array<number>(MAX_ORDER).fill(0)
  const total = new Array<number>(MAX_ORDER).fill(0)
  for (let n = 1; n <= MAX_ORDER; n++) total[n - 1] = Math.max(0, hw.length - n + 1)
  for (const [k, c] of ngramCounts(hw, MAX_ORDER)) {
    const n = Number(k.slice(0, k.indexOf('\u0001')))
    correct[n - 1]! += Math.min(c, maxRef.get(k) ?? 0)
  }
  return { correct, total, sysLen: hw.length, refLen: Math.max(0, refLen) }
}

/** BLEU from summed statistics (sacrebleu BLEU.compute_bleu with smooth_method='exp'). */
export function bleuFromStats(stats: BleuStats, signature = ''): BleuResult {
  const { correct, total, sysLen, refLen } = stats
  const precisions = new Array<number>(MAX_ORDER).fill(0)
  let smooth = 1
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (total[n - 1] === 0) break
    if (correct[n - 1] === 0) {
      smooth *= 2
      precisions[n - 1] = 100 / (smooth * total[n - 1]!)
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!
    }
  }
  const bp = sysLen === 0 ? 0 : sysLen < refLen ? Math.exp(1 - refLen / sysLen) : 1
  // sacrebleu's my_log: log(0) is a huge negative number, so a zero precision makes BLEU 0
  const logSum = precisions.reduce((a, p) => a + (p === 0 ? -9999999999 : Math.log(p)), 0)
  const score = bp * Math.exp(logSum / MAX_ORDER)
  const ratio = refLen > 0 ? sysLen / refLen : 0
  return {
    ...stats, score, precisions, bp, ratio, signature,
    format: () =>
      `BLEU = ${score.toFixed(2)} ${precisions.map((p) => p.toFixed(1)).join('/')} (BP = ${bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${sysLen} ref_len = ${refLen})`,
  }
}

/** Per-sentence reference lists from sacrebleu's refs[set][sentence] layout, dropping '' / null. */
export function referencesPerSentence(numHyps: number, refSets: readonly (readonly (string | null | undefined)[])[]): { refs: string[][]; nrefs: string } {
  for (const set of refSets) {
    if (set.length !== numHyps) throw new Error(`a reference set has ${set.length} lines, the system has ${numHyps}`)
  }
  const refs = Array.from({ length: numHyps }, (_, i) => refSets.map((s) => s[i]).filter((r): r is string => typeof r === 'string' && r !== ''))
  const counts = new Set(refs.map((r) => r.length))
  return { refs, nrefs: counts.size === 1 ? String([...counts][0]) : 'var' }
}

/** Corpus BLEU of `hyps` against `refSets` (refs[set][sentence]), sacrebleu's defaults. */
export function corpusBleu(hyps: readonly string[], refSets: readonly (readonly (string | null | undefined)[])[], opts: { tokenize?: BleuTokenizer } = {}): BleuResult {
  const tokenize = opts.tokenize ?? '13a'
  const { refs, nrefs } = referencesPerSentence(hyps.length, refSets)
  const sum: BleuStats = { correct: [0, 0, 0, 0], total: [0, 0, 0, 0], sysLen: 0, refLen: 0 }
  hyps.forEach((h, i) => {
    const s = sentenceBleuStats(h, refs[i]!, tokenize)
    for (let n = 0; n < MAX_ORDER; n++) { sum.correct[n]! += s.correct[n]!; sum.total[n]! += s.total[n]! }
    sum.sysLen += s.sysLen
    sum.refLen += s.refLen
  })
  return bleuFromStats(sum, `nrefs:${nrefs}|case:mixed|eff:no|tok:${tokenize}|smooth:exp|version:${SACREBLEU_VERSION}`)
}
