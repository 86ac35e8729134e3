import { LlmError } from '../../core/errors.js'
import { BpeMerger, MAX_RANK, PairRanker } from '../bpe.js'
import { CHAR_TO_BYTE, byteFallbackIds, utf8 } from './chars.js'

/**
 * The BPE model of tokenizers (models/bpe/model.rs, word.rs) minus dropout: a word starts as one
 * symbol per char (or byte-fallback tokens / unk), then the merge core (src/tokenizer/bpe.ts,
 * `PairRanker`) merges the pair with the lowest merge rank, leftmost first, until none has one.
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

export class BpeModel {
  readonly vocab: Map<string, number>
  private readonly unkToken?: string
  private readonly prefix?: string
  private readonly suffix?: string
  private readonly fuseUnk: boolean
  private readonly byteFallback: boolean
  readonly ignoreMerges: boolean
  private readonly source: string
  private readonly ranker: PairRanker
  private readonly merger = new BpeMerger()
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
    if (cfg.merges.length >= MAX_RANK) throw new LlmError(`BPE: too many merges (${cfg.merges.length})`, { where: cfg.source })
    const prefixLen = this.prefix?.length ?? 0
    this.ranker = new PairRanker(cfg.merges.map(([a, b]): [number, number, number] => {
      const ia = this.vocab.get(a)
      const ib = this.vocab.get(b)
      // tokenizers strips the prefix's byte length from the right part unconditionally
      const merged = a + b.slice(prefixLen)
      const im = this.vocab.get(merged)
      const missing = ia === undefined ? a : ib === undefined ? b : im === undefined ? merged : undefined
      if (missing !== undefined) throw new LlmError(`BPE merge ${JSON.stringify(a + ' ' + b)}: token ${JSON.stringify(missing)} is not in the vocab`, { where: cfg.source })
      return [ia!, ib!, im!] // a later duplicate replaces an earlier one, as collecting into a HashMap does
    }))
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
    const m = this.merger
    let n = raw.length
    m.reserve(n)
    let ascii = true
    for (let i = 0; i < n; i++) {
      const c = raw.charCodeAt(i)
      if (c >= 0x80) { ascii = false; break }
      m.symbols[i] = byteIds[c]!
    }
    if (!ascii) {
      const bytes = utf8(raw)
      n = bytes.length
      m.reserve(n)
      for (let i = 0; i < n; i++) m.symbols[i] = byteIds[bytes[i]!]!
    }
    if (n > 0) m.merge(this.ranker, n, out)
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
    this.merger.mergeIds(this.ranker, syms, out)
  }
}
