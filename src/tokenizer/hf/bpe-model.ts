import { LlmError } from '../../core/errors.js'
import { CHAR_TO_BYTE, byteFallbackIds, utf8 } from './chars.js'

/**
 * The BPE model of tokenizers (models/bpe/model.rs, word.rs) minus dropout: a word starts as one
 * symbol per char (or byte-fallback tokens / unk), then the pair with the lowest merge rank is
 * merged, leftmost first, until no pair has a merge.
 */
export interface BpeConfig {
  vocab: Map<string, number>
  /** merges in rank order, each [left, right] */
  merges: [string, string][]
  unkToken?: string
  continuingSubwordPrefix?: string
  endOfWordSuffix?: string
  fuseUnk: boolean
  byteFallback: boolean
  ignoreMerges: boolean
  source: string
}

/** words longer than this use a heap (O(n log n)); shorter ones a rank array rescanned per merge */
const HEAP_THRESHOLD = 48
const POS_SCALE = 4294967296 // heap key = rank * 2^32 + position

export class BpeModel {
  readonly vocab: Map<string, number>
  private readonly unkToken?: string
  private readonly prefix?: string
  private readonly suffix?: string
  private readonly fuseUnk: boolean
  private readonly byteFallback: boolean
  readonly ignoreMerges: boolean
  private readonly source: string
  // open-addressing table (left id, right id) → merge rank; the merged id is mergeIds[rank]
  private readonly tabA: Int32Array
  private readonly tabB: Int32Array
  private readonly tabRank: Int32Array
  private readonly mask: number
  private readonly mergeIds: Int32Array
  /** id of each byte's GPT-2 char when the vocab holds all 256, for the byte-level fast path */
  readonly byteIds?: Int32Array
  private readonly byteFallbackIds: Int32Array

  constructor(cfg: BpeConfig) {
    this.vocab = cfg.vocab
    this.unkToken = cfg.unkToken
    this.prefix = cfg.continuingSubwordPrefix || undefined
    this.suffix = cfg.endOfWordSuffix || undefined
    this.fuseUnk = cfg.fuseUnk
    this.byteFallback = cfg.byteFallback
    this.ignoreMerges = cfg.ignoreMerges
    this.source = cfg.source
    if (cfg.merges.length >= 1 << 21) throw new LlmError(`BPE: too many merges (${cfg.merges.length})`, { where: cfg.source })
    let cap = 16
    while (cap < cfg.merges.length * 2) cap *= 2
    this.mask = cap - 1
    this.tabA = new Int32Array(cap).fill(-1)
    this.tabB = new Int32Array(cap)
    this.tabRank = new Int32Array(cap)
    this.mergeIds = new Int32Array(cfg.merges.length)
    const prefixLen = this.prefix?.length ?? 0
    cfg.merges.forEach(([a, b], rank) => {
      const ia = this.vocab.get(a)
      const ib = this.vocab.get(b)
      // tokenizers strips the prefix's byte length from the right part unconditionally
      const merged = a + b.slice(prefixLen)
      const im = this.vocab.get(merged)
      const missing = ia === undefined ? a : ib === undefined ? b : im === undefined ? merged : undefined
      if (missing !== undefined) throw new LlmError(`BPE merge ${JSON.stringify(a + ' ' + b)}: token ${JSON.stringify(missing)} is not in the vocab`, { where: cfg.source })
      this.mergeIds[rank] = im!
      this.setRank(ia!, ib!, rank) // a later duplicate overwrites, as collecting into a HashMap does
    })
    const byteIds = new Int32Array(256)
    let all = true
    for (let b = 0; b < 256; b++) {
      const ch = String.fromCharCode(CHAR_TO_BYTE.indexOf(b))
      const id = this.vocab.get(ch)
      if (id === undefined) all = false
      else byteIds[b] = id
    }
    if (all && !this.prefix && !this.suffix) this.byteIds = byteIds
    this.byteFallbackIds = byteFallbackIds(this.vocab)
  }

  /**
   * Whether tokenizing a word equals tokenizing its parts cut before each run of `ch`: true when
   * `ch` is a vocab symbol, no vocab token has `ch` after another char (so no symbol, hence no
   * merge, spans such a cut), and nothing joins across words (ignore_merges' whole-word lookup,
   * affixes). Unknown-char runs cannot span a cut either, since `ch` itself is known.
   */
  splittableAt(ch: string): boolean {
    if (this.ignoreMerges || this.prefix || this.suffix || !this.vocab.has(ch)) return false
    for (const t of this.vocab.keys()) {
      let i = 0
      while (t.startsWith(ch, i)) i += ch.length
      if (t.indexOf(ch, i) >= 0) return false
    }
    return true
  }

  private slot(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask
    while (this.tabA[h] !== -1 && (this.tabA[h] !== a || this.tabB[h] !== b)) h = (h + 1) & this.mask
    return h
  }
  private setRank(a: number, b: number, rank: number): void {
    const h = this.slot(a, b)
    this.tabA[h] = a
    this.tabB[h] = b
    this.tabRank[h] = rank
  }
  /** merge rank of the pair, or -1 */
  rank(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask
    for (;;) {
      const ta = this.tabA[h]!
      if (ta === -1) return -1
      if (ta === a && this.tabB[h] === b) return this.tabRank[h]!
      h = (h + 1) & this.mask
    }
  }

  /** Tokenize one pre-tokenized word (already in the vocab's alphabet), appending ids to `out`. */
  tokenize(word: string, out: number[]): void {
    if (word.length === 0) return
    if (this.ignoreMerges) {
      const id = this.vocab.get(word)
      if (id !== undefined) { out.push(id); return }
    }
    this.merge(this.initialSymbols(word), out)
  }

  /**
   * Byte-level fast path: `raw` is the piece BEFORE the GPT-2 byte→char mapping; its UTF-8 bytes
   * are the initial symbols. Only valid when `byteIds` is set and ignore_merges is off.
   */
  tokenizeRawBytes(raw: string, out: number[]): void {
    const byteIds = this.byteIds!
    const syms: number[] = []
    let ascii = true
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i)
      if (c >= 0x80) { ascii = false; break }
      syms.push(byteIds[c]!)
    }
    if (!ascii) {
      syms.length = 0
      const bytes = utf8(raw)
      for (let i = 0; i < bytes.length; i++) syms.push(byteIds[bytes[i]!]!)
    }
    this.merge(syms, out)
  }

  private initialSymbols(w: string): number[] {
    const syms: number[] = []
    let unkId = -1
    let pendingUnk = false
    const n = w.length
    for (let i = 0; i < n;) {
      const cp = w.codePointAt(i)!
      const clen = cp > 0xffff ? 2 : 1
      let s = clen === 1 ? w[i]! : w.slice(i, i + 2)
      if (i > 0 && this.prefix) s = this.prefix + s
      i += clen
      if (i === n && this.suffix) s += this.suffix
      const id = this.vocab.get(s)
      if (id !== undefined) {
        if (pendingUnk) { syms.push(unkId); pendingUnk = false }
        syms.push(id)
        continue
      }
      if (this.byteFallback) {
        const bytes = utf8(s)
        let ok = true
        for (let k = 0; k < bytes.length; k++) if (this.byteFallbackIds[bytes[k]!]! < 0) { ok = false; break }
        if (ok) {
          // like tokenizers, a pending unk is not flushed before byte-fallback tokens
          for (let k = 0; k < bytes.length; k++) syms.push(this.byteFallbackIds[bytes[k]!]!)
          continue
        }
      }
      if (this.unkToken !== undefined) {
        if (unkId < 0) {
          const u = this.vocab.get(this.unkToken)
          if (u === undefined) throw new LlmError(`BPE: unk_token ${JSON.stringify(this.unkToken)} is not in the vocab`, { where: this.source })
          unkId = u
        }
        if (pendingUnk && !this.fuseUnk) syms.push(unkId)
        pendingUnk = true
      }
      // without an unk token an unknown char is dropped, as tokenizers does
    }
    if (pendingUnk) syms.push(unkId)
    return syms
  }

  private merge(syms: number[], out: number[]): void {
    let n = syms.length
    if (n > HEAP_THRESHOLD) { this.mergeHeap(syms, out); return }
    if (n > 1) {
      // ranks[i] = rank of pair (syms[i], syms[i+1]); -1 none
      const ranks: number[] = new Array(n - 1)
      for (let i = 0; i < n - 1; i++) ranks[i] = this.rank(syms[i]!, syms[i + 1]!)
      for (;;) {
        let best = -1
        let pos = -1
        for (let i = 0; i < n - 1; i++) {
          const r = ranks[i]!
          if (r >= 0 && (best < 0 || r < best)) { best = r; pos = i }
        }
        if (pos < 0) break
        syms[pos] = this.mergeIds[best]!
        syms.splice(pos + 1, 1)
        ranks.splice(pos, 1)
        n--
        if (pos > 0) ranks[pos - 1] = this.rank(syms[pos - 1]!, syms[pos]!)
        if (pos < n - 1) ranks[pos] = this.rank(syms[pos]!, syms[pos + 1]!)
      }
    }
    for (let i = 0; i < n; i++) out.push(syms[i]!)
  }

  /** tokenizers' Word::merge_all: a priority queue of (rank, position), stale entries skipped */
  private mergeHeap(c: number[], out: number[]): void {
    const n = c.length
    const prev = new Int32Array(n)
    const next = new Int32Array(n)
    const alive = new Uint8Array(n).fill(1)
    const heap: number[] = []
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1
      next[i] = i + 1 < n ? i + 1 : -1
      if (i + 1 < n) {
        const r = this.rank(c[i]!, c[i + 1]!)
        if (r >= 0) heapPush(heap, r * POS_SCALE + i)
      }
    }
    while (heap.length > 0) {
      const top = heapPop(heap)
      const rank = Math.floor(top / POS_SCALE)
      const pos = top - rank * POS_SCALE
      if (!alive[pos]) continue
      const nx = next[pos]!
      if (nx < 0) continue
      if (this.rank(c[pos]!, c[nx]!) !== rank) continue
      c[pos] = this.mergeIds[rank]!
      alive[nx] = 0
      const nn = next[nx]!
      next[pos] = nn
      if (nn >= 0) prev[nn] = pos
      const pv = prev[pos]!
      if (pv >= 0) {
        const r = this.rank(c[pv]!, c[pos]!)
        if (r >= 0) heapPush(heap, r * POS_SCALE + pv)
      }
      if (nn >= 0) {
        const r = this.rank(c[pos]!, c[nn]!)
        if (r >= 0) heapPush(heap, r * POS_SCALE + pos)
      }
    }
    for (let i = 0; i >= 0 && i < n; i = next[i]!) out.push(c[i]!)
  }
}

function heapPush(h: number[], v: number): void {
  let i = h.length
  h.push(v)
  while (i > 0) {
    const p = (i - 1) >> 1
    if (h[p]! <= v) break
    h[i] = h[p]!
    i = p
  }
  h[i] = v
}

function heapPop(h: number[]): number {
  const top = h[0]!
  const last = h.pop()!
  const n = h.length
  if (n > 0) {
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && h[r]! < h[l]! ? r : l
      if (h[c]! >= last) break
      h[i] = h[c]!
      i = c
    }
    h[i] = last
  }
  return top
}
