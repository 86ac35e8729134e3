import { compileSplitRegex } from '../regex.js'
import { BYTE_TO_CHAR } from '../hf/chars.js'
import { CL100K_PATTERN, R50K_PATTERN } from '../tiktoken/fast-split.js'

/**
 * Byte-level BPE training (the algorithm of Hugging Face's BpeTrainer and minbpe's
 * RegexTokenizer): split every document with a pre-tokenizer regex, count the unique pieces,
 * start from the 256 byte tokens and repeatedly merge the most frequent adjacent pair.
 *
 * Pair counts are kept incrementally over the unique pieces ("words"): a merge only revisits
 * the words that contain the pair, and a max-heap with lazy re-validation finds the next best
 * pair. Ties are broken deterministically: higher count first, then the smaller (left id,
 * right id). A merge whose result spells a token that already exists (the same bytes reached by
 * another split) reuses that token's id, as BpeTrainer does, so the vocab stays a string map.
 *
 * Example: words {"aaab": 1}, 2 merges → (a,a) → "aa" = 256, then (aa,a) or (aa,b)... each
 * chosen by count then ids.
 */

/** Split patterns. gpt4 = tiktoken's cl100k_base pattern; gpt2 = r50k_base (GPT-2's). */
export const SPLIT_PATTERNS = {
  gpt4: CL100K_PATTERN,
  gpt2: R50K_PATTERN,
} as const

export interface BpeTrainOptions {
  /** final vocabulary size, special tokens included */
  vocabSize: number
  /** stop when the best pair occurs fewer times than this (default 2) */
  minFrequency?: number
  /** appended after the merged tokens, in this order */
  specialTokens?: readonly string[]
  /** Rust-regex/Oniguruma split pattern (default SPLIT_PATTERNS.gpt4) */
  pattern?: string
  /** called now and then with (merges done, merges planned) */
  onProgress?: (done: number, total: number) => void
}

export interface BpeTrainResult {
  /** token strings by id, in GPT-2 byte-level spelling; ids 0..255 are the raw bytes */
  vocab: string[]
  /** merge rules in rank order: [left id, right id, result id] */
  merges: Array<[number, number, number]>
  specialTokens: string[]
  pattern: string
  stats: { documents: number; bytes: number; pieces: number; uniquePieces: number; stoppedEarly: boolean }
}

/** Count the pre-tokenized pieces of a stream of documents. */
export class PieceCounter {
  readonly counts = new Map<string, number>()
  documents = 0
  bytes = 0
  pieces = 0
  private readonly regex: RegExp

  constructor(readonly pattern: string = SPLIT_PATTERNS.gpt4) {
    this.regex = compileSplitRegex(pattern, { where: '--pattern', dialect: 'oniguruma' })
  }

  /** count the pieces of `text`; `continued`: it is the next part of the previous document */
  add(text: string, continued = false): void {
    if (!continued) this.documents++
    this.bytes += Buffer.byteLength(text, 'utf8')
    const re = this.regex
    re.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = re.exec(text)) !== null) {
      const piece = m[0]
      if (piece.length === 0) {
        re.lastIndex++
        continue
      }
      this.pieces++
      this.counts.set(piece, (this.counts.get(piece) ?? 0) + 1)
    }
  }
}

const PAIR = 1 << 21 // ids stay below 2^21, so a*PAIR+b is an exact float key
const key = (a: number, b: number): number => a * PAIR + b

export function trainBpe(counter: PieceCounter, opts: BpeTrainOptions): BpeTrainResult {
  const specials = [...(opts.specialTokens ?? [])]
  const minFrequency = opts.minFrequency ?? 2
  const target = opts.vocabSize - specials.length
  if (target < 256) throw new RangeError(`vocab size ${opts.vocabSize} is below 256 bytes + ${specials.length} special tokens`)
  if (opts.vocabSize >= PAIR) throw new RangeError(`vocab size ${opts.vocabSize} is above ${PAIR - 1}`)

  // unique words as byte-id sequences
  const words: number[][] = []
  const freq: number[] = []
  for (const [piece, n] of counter.counts) {
    const bytes = Buffer.from(piece, 'utf8')
    if (bytes.length < 2) continue // a single byte has no pair
    words.push(Array.from(bytes))
    freq.push(n)
  }

  const pairCount = new Map<number, number>()
  const pairWords = new Map<number, Set<number>>()
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const k = key(w[i]!, w[i + 1]!)
      pairCount.set(k, (pairCount.get(k) ?? 0) + freq[wi]!)
      let s = pairWords.get(k)
      if (!s) pairWords.set(k, (s = new Set()))
      s.add(wi)
    }
  })
  const heap = new PairHeap()
  for (const [k, c] of pairCount) heap.push(c, k)

  const vocab: string[] = BYTE_TO_CHAR.slice()
  const idOf = new Map<string, number>(vocab.map((t, i) => [t, i]))
  const merges: Array<[number, number, number]> = []
  const planned = target - 256
  let stoppedEarly = false
  while (vocab.length < target) {
    // pop until an entry's count is current (counts only fall after a push, or get a new push)
    let best: { count: number; key: number } | undefined
    for (let e = heap.pop(); e; e = heap.pop()) {
      const cur = pairCount.get(e.key)
      if (cur === undefined || cur <= 0) continue
      if (cur !== e.count) { heap.push(cur, e.key); continue }
      best = e
      break
    }
    if (!best || best.count < minFrequency) { stoppedEarly = true; break }
    const a = Math.floor(best.key / PAIR)
    const b = best.key % PAIR
    const text = vocab[a]! + vocab[b]!
    let id = idOf.get(text)
    if (id === undefined) {
      id = vocab.length
      vocab.push(text)
      idOf.set(text, id)
    }
    merges.push([a, b, id])
    pairCount.delete(best.key)
    const touched = new Set<number>()
    for (const wi of pairWords.get(best.key) ?? []) mergeWord(words, freq[wi]!, wi, a, b, id, pairCount, pairWords, touched)
    pairWords.delete(best.key)
    pairCount.delete(best.key) // mergeWord drove it negative
    for (const k of touched) {
      const c = pairCount.get(k)
      if (c !== undefined && c > 0) heap.push(c, k)
    }
    if (opts.onProgress && (merges.length % 64 === 0 || vocab.length === target)) opts.onProgress(vocab.length - 256, planned)
  }
  for (const s of specials) vocab.push(s)
  return {
    vocab, merges, specialTokens: specials, pattern: counter.pattern,
    stats: { documents: counter.documents, bytes: counter.bytes, pieces: counter.pieces, uniquePieces: counter.counts.size, stoppedEarly },
  }
}

/** Merge every (a, b) in word `wi` left to right into `id`, updating the pair counts. */
function mergeWord(
  words: number[][], f: number, wi: number, a: number, b: number, id: number,
  pairCount: Map<number, number>, pairWords: Map<number, Set<number>>, touched: Set<number>,
): void {
  const w = words[wi]!
  let found = false
  for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) { found = true; break }
  if (!found) return // a stale index: an earlier merge removed the pair from this word
  const add = (k: number, d: number): void => {
    pairCount.set(k, (pairCount.get(k) ?? 0) + d)
    touched.add(k)
  }
  for (let i = 0; i + 1 < w.length; i++) add(key(w[i]!, w[i + 1]!), -f)
  const out: number[] = []
  for (let i = 0; i < w.length;) {
    if (i + 1 < w.length && w[i] === a && w[i + 1] === b) { out.push(id); i += 2 } else out.push(w[i++]!)
  }
  for (let i = 0; i + 1 < out.length; i++) {
    const k = key(out[i]!, out[i + 1]!)
    add(k, f)
    if (out[i] === id || out[i + 1] === id) {
      let s = pairWords.get(k)
      if (!s) pairWords.set(k, (s = new Set()))
      s.add(wi)
    }
  }
  words[wi] = out
}

/** max-heap of (count, pair key); ties: smaller key = smaller (left id, right id) first */
class PairHeap {
  private counts: number[] = []
  private keys: number[] = []

  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!
    const cj = this.counts[j]!
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!)
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]!; this.counts[i] = this.counts[j]!; this.counts[j] = c
    const k = this.keys[i]!; this.keys[i] = this.keys[j]!; this.keys[j] = k
  }

  push(count: number, key: number): void {
    this.counts.push(count)
    this.keys.push(key)
    let i = this.counts.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.before(i, p)) break
      this.swap(i, p)
      i = p
    }
  }

  pop(): { count: number; key: number } | undefined {
    const n = this.counts.length
    if (n === 0) return undefined
    const top = { count: this.counts[0]!, key: this.keys[0]! }
    this.swap(0, n - 1)
    this.counts.pop()
    this.keys.pop()
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      let m = i
      if (l < n - 1 && this.before(l, m)) m = l
      if (l + 1 < n - 1 && this.before(l + 1, m)) m = l + 1
      if (m === i) break
      this.swap(i, m)
      i = m
    }
    return top
  }
}
