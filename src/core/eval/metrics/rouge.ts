/**
 * ROUGE-1, ROUGE-2 and ROUGE-L (sentence-level LCS) F-measure, precision and recall as Google's
 * rouge-score computes them (`RougeScorer(['rouge1','rouge2','rougeL']).score(target, prediction)`,
 * use_stemmer=False), with ONE deliberate difference: the tokenizer.
 *
 * rouge-score's default tokenizer lowercases, replaces every character outside [a-z0-9] with a
 * space and drops what is left that is not [a-z0-9]+, so French loses its accented letters
 * ("été" → "t") and Chinese, Russian or Arabic text scores 0 against anything. `unicodeTokenize`
 * keeps letters, marks and digits of every script (\p{L}\p{M}\p{N}), NFC-normalized and lowercased,
 * and makes each character of the scripts written without spaces between words (Han, Hiragana,
 * Katakana, Thai, Lao, Khmer, Myanmar) a token of its own, so they get unigram/bigram overlap
 * instead of one sentence-long "word"; Hangul stays in words (Korean uses spaces). On ASCII text
 * the two tokenizers give the same tokens (tested against rouge-score's published test values).
 */
export interface RougeScore { precision: number; recall: number; fmeasure: number }
export interface RougeScores { rouge1: RougeScore; rouge2: RougeScore; rougeL: RougeScore }

/** rouge-score's default tokenizer (tokenize.py, no stemming): for comparison and tests. */
export function rougeScoreTokenize(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(/\s+/).filter((t) => /^[a-z0-9]+$/.test(t))
}

const NON_WORD = /[^\p{L}\p{M}\p{N}]+/gu
// scripts written without spaces between words: one token per character
const UNSPACED = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}])/gu

/** Unicode-aware ROUGE tokenizer (see the module comment). */
export function unicodeTokenize(text: string): string[] {
  return text.normalize('NFC').toLowerCase().replace(NON_WORD, ' ').replace(UNSPACED, ' $1 ').split(/\s+/u).filter((t) => t !== '')
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>()
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join(' ')
    m.set(k, (m.get(k) ?? 0) + 1)
  }
  return m
}

function fscore(overlap: number, predCount: number, targetCount: number): RougeScore {
  const precision = overlap / Math.max(predCount, 1)
  const recall = overlap / Math.max(targetCount, 1)
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, fmeasure }
}

export function rougeN(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const t = ngrams(target, n)
  const p = ngrams(prediction, n)
  let overlap = 0
  for (const [k, c] of p) overlap += Math.min(c, t.get(k) ?? 0)
  let tc = 0
  for (const c of t.values()) tc += c
  let pc = 0
  for (const c of p.values()) pc += c
  return fscore(overlap, pc, tc)
}

/** Longest common subsequence length, O(|a|·|b|) time, O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0)
  let cur = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!)
    ;[prev, cur] = [cur, prev]
  }
  return prev[b.length]!
}

export function rougeL(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 }
  const l = lcsLength(target, prediction)
  return fscore(l, prediction.length, target.length)
}

/** ROUGE-1/2/L of one prediction against one target (rouge-score's argument order). */
export function rouge(target: string, prediction: string, tokenize: (s: string) => string[] = unicodeTokenize): RougeScores {
  const t = tokenize(target)
  const p = tokenize(prediction)
  return { rouge1: rougeN(t, p, 1), rouge2: rougeN(t, p, 2), rougeL: rougeL(t, p) }
}

/** With several references, each metric takes its best F over them (rouge-score's score_multi). */
export function rougeMulti(targets: readonly string[], prediction: string, tokenize: (s: string) => string[] = unicodeTokenize): RougeScores {
  let best: RougeScores | undefined
  for (const t of targets) {
    const s = rouge(t, prediction, tokenize)
    if (!best) { best = s; continue }
    for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) if (s[k].fmeasure > best[k].fmeasure) best[k] = s[k]
  }
  return best ?? { rouge1: fscore(0, 0, 0), rouge2: fscore(0, 0, 0), rougeL: fscore(0, 0, 0) }
}
