/**
 * A tiktoken encoding (the equivalent of tiktoken's Rust `CoreBPE`): split the text with the
 * encoding's pattern, then byte-pair-merge each piece by rank (the merge core, src/tokenizer/bpe.ts).
 *
 * Behaviour matched to tiktoken 1.0.22 (tested id for id against the npm WASM build):
 *  - text is UTF-8 encoded with lone surrogates replaced by U+FFFD *before* splitting (what
 *    wasm-bindgen's string passing does), so the pattern sees U+FFFD too;
 *  - allowedSpecial 'none' = `encode(text, allowed_special=set(), disallowed_special=())`:
 *    special-token text is ordinary text; 'all' / a set = tiktoken's `allowed_special`: the
 *    text between special tokens is split and merged on its own (no pattern match spans one);
 *    names in a set that are not special tokens of this encoding are ignored, as tiktoken does;
 *  - decode joins token bytes and decodes UTF-8 with U+FFFD for invalid sequences (TextDecoder,
 *    as tiktoken's JS users and Python's errors="replace" do). Unknown ids throw.
 *  - idToToken/tokenToId spell a token's bytes with GPT-2's byte→unicode alphabet (the spelling
 *    Hugging Face tokenizer.json files use for byte-level vocabularies); special tokens as text.
 */
import { LlmError } from '../../core/errors.js'
import { BpeMerger } from '../bpe.js'
import { SpanCache, utf8Encode } from '../span-cache.js'
import { ByteRanker, ByteTokenTable, encodeBytes } from './byte-table.js'
import { compileSplitRegex } from '../regex.js'
import { asciiScanner, patternFamily } from './fast-split.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from '../types.js'
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from '../hf/chars.js'
import type { RankEntries } from './ranks.js'

/** ES2024 string methods (in Node 20; our TypeScript lib is ES2023) */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string }

const LETTER = /^\p{L}/u
const isAsciiLetter = (c: number): boolean => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)
/** is the code point ending just before `i` a letter (\p{L})? */
function isLetterBefore(text: string, i: number): boolean {
  const c = text.charCodeAt(i - 1)
  if (c < 0x80) return isAsciiLetter(c)
  const start = c >= 0xdc00 && c <= 0xdfff && i >= 2 ? i - 2 : i - 1
  return LETTER.test(text.slice(start, i))
}
/** is the code point starting at `i` a letter? */
function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  if (c < 0x80) return isAsciiLetter(c)
  return LETTER.test(text.slice(i, i + 2))
}
/** JS \s and Unicode White_Space both (a cut is refused next to either) */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000

/**
 * `s` without a reference to the string it was sliced from: V8 makes a slice of 13+ code units a
 * view of its parent, so a cached piece would keep a whole streamed part alive.
 */
const ownCopy = (s: string): string => (s.length < 13 ? s : (s + ' ').slice(0, -1))

const escapeRegExp = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')

export interface TiktokenSpec {
  /** the encoding's name, or the file it came from */
  name: string
  pattern: string
  specialTokens: Readonly<Record<string, number>>
  /** the mergeable ranks, or a table already built from them (tiktoken/cache.ts) */
  ranks: RankEntries | ByteTokenTable
  /** the pattern already translated to a JS RegExp source (flags gv), e.g. from the cache */
  regexSource?: string
}

export class TiktokenEncoding implements Tokenizer {
  readonly kind = 'tiktoken'
  readonly name: string
  readonly vocabSize: number
  readonly eosTokenId?: number
  readonly bosTokenId?: number
  readonly specialTokens: ReadonlyMap<string, number>
  readonly pattern: string

  private readonly table: ByteTokenTable
  private readonly ranker: ByteRanker
  private readonly merger = new BpeMerger()
  private readonly regex: RegExp
  /** the same pattern, sticky: asked at one position when the table scanner (fast-split.ts) cannot decide */
  private readonly sticky: RegExp
  private readonly scan: ((text: string, p: number) => number) | undefined
  private readonly specialById = new Map<number, Uint8Array>()
  private readonly specialRegexes = new Map<string, RegExp>()
  private readonly cache = new SpanCache(17)
  private buf: Uint8Array = new Uint8Array(1024)
  private decodeBuf: Uint8Array = new Uint8Array(4096)
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true }) // keep a leading U+FEFF: it is text (Python's bytes.decode keeps it)

  constructor(spec: TiktokenSpec) {
    this.name = spec.name
    this.pattern = spec.pattern
    this.table = spec.ranks instanceof ByteTokenTable ? spec.ranks : new ByteTokenTable(spec.ranks)
    this.ranker = new ByteRanker(this.table)
    for (let b = 0; b < 256; b++) {
      if (this.ranker.byteId[b]! < 0) {
        throw new LlmError(`no rank for the single byte 0x${b.toString(16).padStart(2, '0')}`, { where: spec.name, hint: 'tiktoken needs every byte to be a token' })
      }
    }
    this.regex = spec.regexSource !== undefined ? new RegExp(spec.regexSource, 'gv') : compileSplitRegex(spec.pattern, { where: spec.name })
    this.sticky = new RegExp(this.regex.source, 'vy')
    const family = patternFamily(spec.pattern)
    this.scan = family && asciiScanner(family)
    const specials = new Map<string, number>()
    for (const [text, id] of Object.entries(spec.specialTokens)) {
      if (this.table.bytesOf(id) !== undefined || this.specialById.has(id)) {
        throw new LlmError(`special token ${JSON.stringify(text)} reuses id ${id}`, { where: spec.name })
      }
      specials.set(text, id)
      this.specialById.set(id, new TextEncoder().encode(text))
    }
    this.specialTokens = specials
    this.vocabSize = Math.max(this.table.maxId, ...specials.values()) + 1
    this.eosTokenId = specials.get('<|endoftext|>')
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = []
    // lone surrogates become U+FFFD first, exactly as they reach tiktoken's Rust core
    if (!(text as WellFormed).isWellFormed()) text = (text as WellFormed).toWellFormed()
    const allowed = opts.allowedSpecial ?? 'none'
    const special = allowed === 'none' || this.specialTokens.size === 0 ? undefined : this.specialRegex(allowed)
    if (special === undefined) {
      this.encodeOrdinary(text, 0, text.length, out)
      return out
    }
    let start = 0
    special.lastIndex = 0
    for (let m = special.exec(text); m !== null; m = special.exec(text)) {
      this.encodeOrdinary(text, start, m.index, out)
      out.push(this.specialTokens.get(m[0])!)
      start = special.lastIndex
    }
    this.encodeOrdinary(text, start, text.length, out)
    return out
  }

  /** a regex matching the allowed special tokens (longest first), or undefined if none apply */
  private specialRegex(allowed: 'all' | ReadonlySet<string>): RegExp | undefined {
    const names = allowed === 'all' ? [...this.specialTokens.keys()] : [...allowed].filter((s) => this.specialTokens.has(s))
    if (names.length === 0) return undefined
    names.sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
    const key = names.join('\u0000')
    let re = this.specialRegexes.get(key)
    if (re === undefined) {
      re = new RegExp(names.map(escapeRegExp).join('|'), 'gu')
      if (this.specialRegexes.size > 64) this.specialRegexes.clear()
      this.specialRegexes.set(key, re)
    }
    return re
  }

  /** split text[start..end) with the pattern and merge each piece; ids are pushed to `out` */
  private encodeOrdinary(text: string, start: number, end: number, out: number[]): void {
    if (start >= end) return
    const segment = start === 0 && end === text.length ? text : text.slice(start, end)
    if (this.scan === undefined) {
      const re = this.regex
      re.lastIndex = 0
      for (let m = re.exec(segment); m !== null; m = re.exec(segment)) {
        if (m[0].length === 0) { re.lastIndex += 1; continue } // never loop on an empty match
        this.encodePiece(segment, m.index, m.index + m[0].length, out)
      }
      return
    }
    // known pattern: ASCII scanner, the sticky regex where it cannot decide (pieces are contiguous)
    const scan = this.scan
    const sticky = this.sticky
    const n = segment.length
    for (let p = 0; p < n;) {
      let e = scan(segment, p)
      if (e < 0) {
        sticky.lastIndex = p
        if (!sticky.test(segment)) throw new Error(`split pattern failed to match at ${p}`) // cannot happen: see fast-split.ts
        e = sticky.lastIndex
      }
      this.encodePiece(segment, p, e, out)
      p = e
    }
  }

  /** ids of the piece text[start..end) */
  private encodePiece(text: string, start: number, end: number, out: number[]): void {
    const hit = this.cache.get(text, start, end)
    if (hit !== undefined) {
      if (typeof hit === 'number') out.push(hit)
      else for (let i = 0; i < hit.length; i++) out.push(hit[i]!)
      return
    }
    const piece = text.slice(start, end)
    if (this.buf.length < piece.length * 3) this.buf = new Uint8Array(piece.length * 3 * 2)
    const n = utf8Encode(piece, this.buf)
    const first = out.length
    encodeBytes(this.ranker, this.merger, this.buf, n, out)
    if (piece.length <= 256) this.cache.set(ownCopy(piece), out.length - first === 1 ? out[first]! : out.slice(first))
  }

  /** what tiktoken/cache.ts stores: the built table and the translated regex */
  compiled(): { table: ByteTokenTable; regexSource: string } {
    return { table: this.table, regexSource: this.regex.source }
  }

  /**
   * The last safe cut of `text` for streaming (Tokenizer.streamCut), for the four known
   * patterns (r50k/p50k, cl100k, o200k; -1 for any other). No piece of theirs holds a letter
   * followed by a space (letters are preceded by at most one non-letter and followed by letters,
   * marks or a contraction), nor a newline followed by a letter; and where a cut is taken, the
   * last piece before it is decided the same at the end of the text as with the rest after it
   * (greedy runs stop at the space or letter; `\s+(?!\S)` only meets a single newline after a
   * non-space, which it takes alone either way). So a cut goes after a letter that a space
   * follows, or else after a non-space + newline that a letter follows. Allowed special tokens
   * must not contain white space (none of tiktoken's do), so none can straddle a cut.
   * test/tokenizer/tiktoken/stream.test.ts checks cut + rest = whole on adversarial text.
   */
  streamCut(text: string, opts: EncodeOptions = {}): number {
    if (this.scan === undefined) return -1
    const allowed = opts.allowedSpecial ?? 'none'
    if (allowed !== 'none') {
      for (const name of this.specialTokens.keys()) {
        if ((allowed === 'all' || allowed.has(name)) && /\s/u.test(name)) return -1
      }
    }
    let newline = -1
    for (let i = text.length - 2; i >= 1; i--) {
      const c = text.charCodeAt(i)
      if (c === 0x20) {
        if (isLetterBefore(text, i)) return i
      } else if (c === 0x0a && newline < 0 && isLetterAt(text, i + 1) && !isSpace(text.charCodeAt(i - 1))) {
        newline = i + 1
      }
    }
    return newline
  }

  /** the raw bytes of one token (special tokens: their UTF-8 text), or undefined */
  tokenBytes(id: number): Uint8Array | undefined {
    return this.table.bytesOf(id) ?? this.specialById.get(id)
  }

  /** the UTF-8 bytes of `ids` (a fresh copy) */
  decodeBytes(ids: readonly number[], opts: DecodeOptions = {}): Uint8Array {
    return this.joinBytes(ids, opts).slice()
  }

  /** token bytes joined into the reused decode buffer (valid until the next call) */
  private joinBytes(ids: readonly number[], opts: DecodeOptions): Uint8Array {
    const { pool, start, len } = this.table
    let out = this.decodeBuf
    let n = 0
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!
      const s = start[id] ?? -1 // undefined for ids out of range or not integers
      if (s >= 0) { // copied inline: a call per token costs more than the copy of ~4 bytes
        const l = len[id]!
        if (n + l > out.length) out = this.grow(out, n, l)
        for (let k = 0; k < l; k++) out[n + k] = pool[s + k]!
        n += l
        continue
      }
      const special = this.specialById.get(id)
      if (special === undefined) throw new LlmError(`unknown token id ${id}`, { where: this.name, hint: `ids of this encoding are below ${this.vocabSize}` })
      if (opts.skipSpecialTokens) continue
      if (n + special.length > out.length) out = this.grow(out, n, special.length)
      out.set(special, n)
      n += special.length
    }
    this.decodeBuf = out
    return out.subarray(0, n)
  }

  private grow(out: Uint8Array, used: number, need: number): Uint8Array {
    const bigger = new Uint8Array(Math.max(out.length * 2, used + need * 2))
    bigger.set(out.subarray(0, used))
    return bigger
  }

  /** Text of the ids: their bytes joined, then UTF-8 decoded (U+FFFD for invalid sequences). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    // measured faster than joining cached per-token strings (and simpler)
    return this.decoder.decode(this.joinBytes(ids, opts))
  }

  idToToken(id: number): string | undefined {
    const bytes = this.table.bytesOf(id)
    if (bytes === undefined) {
      for (const [text, sid] of this.specialTokens) if (sid === id) return text
      return undefined
    }
    // spelled in GPT-2's byte alphabet, as Hugging Face files spell byte-level tokens
    let s = ''
    for (const b of bytes) s += BYTE_TO_CHAR[b]
    return s
  }

  tokenToId(token: string): number | undefined {
    const special = this.specialTokens.get(token)
    if (special !== undefined) return special
    const bytes = new Uint8Array(token.length)
    for (let i = 0; i < token.length; i++) {
      const b = CHAR_TO_BYTE[token.charCodeAt(i)] ?? -1
      if (b < 0) return undefined
      bytes[i] = b
    }
    const id = this.table.lookup(bytes, 0, bytes.length)
    return id < 0 ? undefined : id
  }
}
