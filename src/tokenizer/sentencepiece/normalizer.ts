import type { NormalizerSpec } from './model-proto.js'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's visible stand-in for a space */
export const SPACE_SYMBOL = '\u2581'

/**
 * SentencePiece's text normalizer (normalizer.cc `Normalizer::Normalize`), reproduced rule for
 * rule: longest-match rewriting with the model's precompiled charsmap (a Darts double-array trie
 * over UTF-8 bytes, e.g. nmt_nfkc; empty for `identity`), user-defined symbols passed through
 * untouched, `remove_extra_whitespaces` (drop leading/trailing spaces, collapse runs — only the
 * ASCII space counts, after the charsmap has rewritten other whitespace), the dummy-prefix
 * space, and spaces escaped to U+2581.
 */
export class SentencePieceNormalizer {
  private readonly trie: Uint32Array | undefined
  private readonly normalized: Uint8Array
  private readonly ruleCache = new Map<number, string>()
  private readonly userSymbols: Uint8Array[]

  constructor(private readonly spec: NormalizerSpec, userDefinedSymbols: readonly string[] = [], private readonly treatWhitespaceAsSuffix = false) {
    const cm = spec.precompiledCharsmap
    if (cm.length >= 4) {
      // layout (normalizer.cc DecodePrecompiledCharsMap): uint32 LE trie size, trie units, then
      // the NUL-terminated replacement strings the trie values point into.
      const trieSize = new DataView(cm.buffer, cm.byteOffset, 4).getUint32(0, true)
      const units = new Uint32Array(trieSize / 4)
      const dv = new DataView(cm.buffer, cm.byteOffset + 4, trieSize)
      for (let i = 0; i < units.length; i++) units[i] = dv.getUint32(i * 4, true)
      this.trie = units
      this.normalized = cm.subarray(4 + trieSize)
    } else {
      this.trie = undefined
      this.normalized = new Uint8Array(0)
    }
    this.userSymbols = userDefinedSymbols.map((s) => Buffer.from(s, 'utf8'))
  }

  /** Normalize `text` exactly as SentencePiece does before segmentation. */
  normalize(text: string): string {
    if (!this.trie && this.userSymbols.length === 0) return this.normalizeIdentity(text)
    const input = Buffer.from(text, 'utf8')
    const spec = this.spec
    const out: string[] = []
    let pos = 0
    if (spec.removeExtraWhitespaces) {
      // drop leading (normalized) spaces
      while (pos < input.length) {
        const [piece, len] = this.normalizePrefix(input, pos)
        if (piece !== ' ') break
        pos += len
      }
    }
    if (pos >= input.length) return ''
    const space = spec.escapeWhitespaces ? SPACE_SYMBOL : ' '
    if (!this.treatWhitespaceAsSuffix && spec.addDummyPrefix) out.push(space)
    let isPrevSpace = spec.removeExtraWhitespaces
    while (pos < input.length) {
      const [piece, len] = this.normalizePrefix(input, pos)
      let sp = piece
      if (isPrevSpace) {
        let k = 0
        while (k < sp.length && sp.charCodeAt(k) === 0x20) k++
        sp = sp.slice(k)
      }
      if (sp.length > 0) {
        out.push(spec.escapeWhitespaces ? sp.replaceAll(' ', SPACE_SYMBOL) : sp)
        isPrevSpace = sp.endsWith(' ')
      }
      pos += len
      if (!spec.removeExtraWhitespaces) isPrevSpace = false
    }
    let result = out.join('')
    if (spec.removeExtraWhitespaces) {
      while (result.endsWith(space)) result = result.slice(0, result.length - space.length)
    }
    if (this.treatWhitespaceAsSuffix && spec.addDummyPrefix) result += space
    return result
  }

  /**
   * The same rules without a charsmap or user symbols, on the JS string: every character maps
   * to itself (a lone surrogate, malformed in UTF-8, to U+FFFD), so only ASCII spaces matter.
   */
  private normalizeIdentity(text: string): string {
    const spec = this.spec
    let s = text.replace(LONE_SURROGATE, '\uFFFD')
    if (spec.removeExtraWhitespaces) s = s.replace(/ {2,}/g, ' ').replace(/^ /, '')
    if (s.length === 0) return ''
    const space = spec.escapeWhitespaces ? SPACE_SYMBOL : ' '
    if (spec.escapeWhitespaces) s = s.replaceAll(' ', SPACE_SYMBOL)
    if (!this.treatWhitespaceAsSuffix && spec.addDummyPrefix) s = space + s
    if (spec.removeExtraWhitespaces) {
      let end = s.length
      while (end >= space.length && s.startsWith(space, end - space.length)) end -= space.length
      s = s.slice(0, end)
    }
    if (this.treatWhitespaceAsSuffix && spec.addDummyPrefix) s += space
    return s
  }

  /** [replacement text, bytes consumed] for the longest rule matching at `pos` */
  private normalizePrefix(input: Uint8Array, pos: number): [string, number] {
    const userLen = this.matchUserSymbol(input, pos)
    if (userLen > 0) return [Buffer.from(input.subarray(pos, pos + userLen)).toString('utf8'), userLen]
    if (this.trie) {
      const [len, value] = this.longestRule(input, pos)
      if (len > 0) return [this.rule(value), len]
    }
    const n = utf8CharLength(input, pos)
    // a malformed byte becomes U+FFFD and consumes one byte (normalizer.cc)
    if (n === 0) return ['\uFFFD', 1]
    return [Buffer.from(input.subarray(pos, pos + n)).toString('utf8'), n]
  }

  private matchUserSymbol(input: Uint8Array, pos: number): number {
    let best = 0
    for (const sym of this.userSymbols) {
      if (sym.length <= best || pos + sym.length > input.length) continue
      let ok = true
      for (let i = 0; i < sym.length; i++) if (input[pos + i] !== sym[i]) { ok = false; break }
      if (ok) best = sym.length
    }
    return best
  }

  /**
   * Darts-clone `commonPrefixSearch`, keeping the longest hit. Unit layout: bit 8 = has leaf,
   * low 31 bits of a leaf unit = value, label = bits 0-7 (+ bit 31), offset = bits 10.. shifted
   * by 8 when bit 9 is set.
   */
  private longestRule(input: Uint8Array, pos: number): [number, number] {
    const units = this.trie!
    let node = 0
    let unit = units[node]!
    node ^= dartsOffset(unit)
    let bestLen = 0
    let bestValue = 0
    for (let i = pos; i < input.length; i++) {
      const c = input[i]!
      node ^= c
      unit = units[node]!
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== c) break
      node ^= dartsOffset(unit)
      if ((unit >>> 8) & 1) {
        bestLen = i - pos + 1
        bestValue = units[node]! & 0x7fffffff
      }
    }
    return [bestLen, bestValue]
  }

  private rule(offset: number): string {
    let s = this.ruleCache.get(offset)
    if (s === undefined) {
      let end = offset
      while (end < this.normalized.length && this.normalized[end] !== 0) end++
      s = Buffer.from(this.normalized.subarray(offset, end)).toString('utf8')
      this.ruleCache.set(offset, s)
    }
    return s
  }
}

function dartsOffset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6)
}

/**
 * Length of the well-formed UTF-8 character at `pos`, 0 when malformed (SentencePiece's
 * DecodeUTF8: shortest form, no surrogates, at most U+10FFFF).
 */
export function utf8CharLength(b: Uint8Array, pos: number): number {
  const c0 = b[pos]!
  if (c0 < 0x80) return 1
  const trail = (i: number): boolean => pos + i < b.length && (b[pos + i]! & 0xc0) === 0x80
  if ((c0 & 0xe0) === 0xc0) {
    if (!trail(1)) return 0
    const cp = ((c0 & 0x1f) << 6) | (b[pos + 1]! & 0x3f)
    return cp >= 0x80 ? 2 : 0
  }
  if ((c0 & 0xf0) === 0xe0) {
    if (!trail(1) || !trail(2)) return 0
    const cp = ((c0 & 0x0f) << 12) | ((b[pos + 1]! & 0x3f) << 6) | (b[pos + 2]! & 0x3f)
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0
  }
  if ((c0 & 0xf8) === 0xf0) {
    if (!trail(1) || !trail(2) || !trail(3)) return 0
    const cp = ((c0 & 0x07) << 18) | ((b[pos + 1]! & 0x3f) << 12) | ((b[pos + 2]! & 0x3f) << 6) | (b[pos + 3]! & 0x3f)
    return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0
  }
  return 0
}

/**
 * Decode bytes as SentencePiece's decoder does: each byte that does not start a well-formed
 * character becomes one U+FFFD (unlike TextDecoder, which folds a truncated sequence into one).
 */
export function decodeUtf8PerByte(bytes: Uint8Array): string {
  const parts: string[] = []
  let pos = 0
  let runStart = 0
  while (pos < bytes.length) {
    const n = utf8CharLength(bytes, pos)
    if (n === 0) {
      if (runStart < pos) parts.push(Buffer.from(bytes.subarray(runStart, pos)).toString('utf8'))
      parts.push('\uFFFD')
      pos += 1
      runStart = pos
    } else pos += n
  }
  if (runStart < pos) parts.push(Buffer.from(bytes.subarray(runStart, pos)).toString('utf8'))
  return parts.join('')
}
