import { DartsCharsmap } from '../darts.js'
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
  private readonly trie: DartsCharsmap | undefined
  private readonly ruleCache = new Map<number, string>()
  private readonly userSymbols: Uint8Array[]

  constructor(private readonly spec: NormalizerSpec, userDefinedSymbols: readonly string[] = [], private readonly treatWhitespaceAsSuffix = false) {
    // an empty charsmap (e.g. `identity`) means no rules
    if (spec.precompiledCharsmap.length >= 4) this.trie = new DartsCharsmap(spec.precompiledCharsmap)
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
      const len = this.trie.match(input, pos, false)
      if (len > 0) return [this.rule(this.trie.value), len]
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

  private rule(offset: number): string {
    let s = this.ruleCache.get(offset)
    if (s === undefined) {
      s = this.trie!.replacement(offset)
      this.ruleCache.set(offset, s)
    }
    return s
  }
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
