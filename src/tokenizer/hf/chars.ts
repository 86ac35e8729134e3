/**
 * Character tables shared by the Hugging Face components: GPT-2's byte↔unicode map, Unicode
 * White_Space (what Rust's `char::is_whitespace` and Oniguruma's `\s` test), and the lone
 * surrogate rule at the JS→Rust boundary.
 */

/**
 * GPT-2's `bytes_to_unicode`: printable Latin-1 bytes map to themselves, the other 68 bytes to
 * U+0100.. in byte order, so every byte sequence becomes a printable string.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array(256)
  let n = 0
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
    out[b] = String.fromCharCode(printable ? b : 256 + n++)
  }
  return out
})()

/** inverse of BYTE_TO_CHAR, indexed by UTF-16 code unit (all mapped chars are < U+0144) */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(0x144).fill(-1)
  for (let b = 0; b < 256; b++) t[BYTE_TO_CHAR[b]!.charCodeAt(0)] = b
  return t
})()

/** the id of each byte's `<0xNN>` byte-fallback token in `vocab`, -1 where it has none */
export function byteFallbackIds(vocab: ReadonlyMap<string, number>): Int32Array {
  const ids = new Int32Array(256).fill(-1)
  for (let b = 0; b < 256; b++) {
    const id = vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)
    if (id !== undefined) ids[b] = id
  }
  return ids
}

/** Rust's `char::is_whitespace` (Unicode White_Space; unlike JS `\s`, U+FEFF is not whitespace). */
export function isWhiteSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d)
  if (c < 0x85) return false
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Strings cross into Rust as UTF-8, where a lone surrogate cannot exist: the official binding
 * turns each into U+FFFD. Do the same so ids match.
 */
export function toWellFormed(s: string): string {
  const t = s as string & { isWellFormed?: () => boolean }
  if (t.isWellFormed !== undefined ? t.isWellFormed() : !LONE_SURROGATE.test(s)) return s
  LONE_SURROGATE.lastIndex = 0
  return s.replace(LONE_SURROGATE, '\uFFFD')
}

const encoder = new TextEncoder()
export function utf8(s: string): Uint8Array {
  return encoder.encode(s)
}

const lossyDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/** `String::from_utf8_lossy`: each maximal invalid subpart becomes one U+FFFD (WHATWG agrees). */
export function utf8Lossy(b: Uint8Array): string {
  return lossyDecoder.decode(b)
}
/** `String::from_utf8(...).ok()` */
export function utf8Strict(b: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(b)
  } catch {
    return undefined
  }
}

/** Map a piece to GPT-2 byte-level characters (UTF-8 bytes → BYTE_TO_CHAR). */
export function toByteLevel(s: string): string {
  let ascii = true
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) { ascii = false; break }
  let out = ''
  if (ascii) {
    for (let i = 0; i < s.length; i++) out += BYTE_TO_CHAR[s.charCodeAt(i)]!
    return out
  }
  const bytes = encoder.encode(s)
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]!]!
  return out
}
