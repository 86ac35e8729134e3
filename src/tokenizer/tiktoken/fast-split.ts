/**
 * A hand-written splitter for the three split-pattern families OpenAI's encodings use (GPT-2/r50k,
 * cl100k — also Llama 3's — and o200k), for text below U+0300 (ASCII and Latin: most European
 * text), with the translated regex (regex.ts) as the fallback. The JS regex runs at a few MB/s
 * on these Unicode-class patterns and was the bottleneck of encoding.
 *
 * Exactness argument: `scan(text, p)` simulates the pattern's leftmost-first alternation at `p`
 * using a class table (letter upper/lower, number, whitespace, other) built from the engine's own
 * Unicode properties for code points below U+0300, where there are no combining marks. It returns
 * -1 ("ask the regex") whenever it would have to classify any other character, so every piece it
 * returns was decided by table characters alone. Case folding of the contractions' s/t/r/e/v/m/l/d
 * stays in ASCII except 'ſ', so a non-ASCII character after an apostrophe also defers. These
 * patterns match at every position (each character is a letter, number, whitespace or "other"
 * and some alternative takes it), so pieces are contiguous. Tested against tiktoken id for id.
 */

export type PatternFamily = 'r50k' | 'cl100k' | 'o200k'

/** the split patterns of OpenAI's encodings (Rust-regex syntax), as tiktoken ships them */
export const R50K_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
export const CL100K_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
export const O200K_PATTERN = [
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  '\\p{N}{1,3}', ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*', '\\s*[\\r\\n]+', '\\s+(?!\\S)', '\\s+',
].join('|')

/** the family a pattern string belongs to, if it is exactly one of the known patterns */
export function patternFamily(pattern: string): PatternFamily | undefined {
  return pattern === R50K_PATTERN ? 'r50k' : pattern === CL100K_PATTERN ? 'cl100k' : pattern === O200K_PATTERN ? 'o200k' : undefined
}

// character classes for code points below LIMIT (ASCII, Latin-1, Latin Extended-A/B, IPA,
// spacing modifiers: the scripts of English and most European text); anything else defers
const UP = 1, LO = 2, NUM = 4, WS = 8, OTHER = 16, NL = 32, DEFER = 64 // NL: \r or \n (also WS)
const LIMIT = 0x300 // combining marks (\p{M}) start here: none below
const LETTER = UP | LO
const BAIL = -1

/**
 * Class table built from the JS engine's own Unicode properties. r50k/cl100k only ask "letter?",
 * o200k also "upper (Lu, Lt) or lower (Ll)?": its Lm/Lo letters belong to both of its classes,
 * which the simple scan below does not model, so they defer (DEFER) in o200k's table.
 */
function classTable(o200k: boolean): Uint8Array {
  const t = new Uint8Array(LIMIT)
  for (let c = 0; c < LIMIT; c++) {
    const ch = String.fromCharCode(c)
    t[c] = /\p{White_Space}/u.test(ch) ? WS | (c === 10 || c === 13 ? NL : 0)
      : /[\p{Lu}\p{Lt}]/u.test(ch) ? UP
      : /\p{Ll}/u.test(ch) ? LO
      : /\p{L}/u.test(ch) ? (o200k ? DEFER : UP)
      : /\p{N}/u.test(ch) ? NUM
      : OTHER
  }
  return t
}
const GENERIC = classTable(false)
const O200K_CLASSES = classTable(true)

/** class of text[i]: 0 past the end, -1 if the table cannot tell */
function cls(t: Uint8Array, text: string, i: number): number {
  if (i >= text.length) return 0
  const c = text.charCodeAt(i)
  const k = c < LIMIT ? t[c]! : DEFER
  return k & DEFER ? BAIL : k
}

/** end of the run of `mask` characters from i; -1 if the run ends on a character the table cannot tell */
function run(t: Uint8Array, text: string, i: number, mask: number): number {
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    const k = c < LIMIT ? t[c]! : DEFER
    if (k & DEFER) return BAIL
    if ((k & mask) === 0) return i
    i++
  }
  return n
}

/** is text[i] \r or \n (false past the end) */
const isNl = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  return c === 10 || c === 13
}

/**
 * Length of the contraction ('s 't 're 've 'm 'll 'd) at i, 0 if none, -1 if undecidable in
 * ASCII. `caseless` for cl100k/o200k's `(?i:…)`.
 */
function contraction(text: string, i: number, caseless: boolean): number {
  if (text.charCodeAt(i) !== 39) return 0
  let a = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
  if (a >= 128) return caseless ? BAIL : 0 // 'ſ' folds to 's'
  if (caseless && a >= 65 && a <= 90) a += 32
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2 // s t m d
  if (a !== 114 && a !== 118 && a !== 108) return 0 // r v l
  let b = i + 2 < text.length ? text.charCodeAt(i + 2) : 0
  if (b >= 128) return caseless ? BAIL : 0
  if (caseless && b >= 65 && b <= 90) b += 32
  return (a === 108 ? b === 108 : b === 101) ? 3 : 0
}

/** cl100k/o200k's trailing whitespace alternatives: \s*[\r\n]+ | \s+(?!\S) | \s+ */
function whitespace(text: string, p: number): number {
  const q = run(GENERIC, text, p, WS)
  if (q < 0) return BAIL
  for (let k = q - 1; k >= p; k--) if (isNl(text, k)) return k + 1
  return q === text.length || q - 1 === p ? q : q - 1
}

function scanR50k(text: string, p: number): number {
  const c = cls(GENERIC, text, p)
  if (c < 0) return BAIL
  const k = contraction(text, p, false)
  if (k > 0) return p + k
  const space = text.charCodeAt(p) === 32
  const s = space ? p + 1 : p
  const d = space ? cls(GENERIC, text, s) : c
  if (d < 0) return BAIL
  if (d & LETTER) return run(GENERIC, text, s + 1, LETTER)
  if (d & NUM) return run(GENERIC, text, s + 1, NUM)
  if (d & OTHER) return run(GENERIC, text, s + 1, OTHER)
  // \s+(?!\S) | \s+
  const q = run(GENERIC, text, p, WS)
  if (q < 0) return BAIL
  return q === text.length || q - 1 === p ? q : q - 1
}

function scanCl100k(text: string, p: number): number {
  const c = cls(GENERIC, text, p)
  if (c < 0) return BAIL
  const k = contraction(text, p, true)
  if (k !== 0) return k < 0 ? BAIL : p + k
  if (c & LETTER) return run(GENERIC, text, p + 1, LETTER)
  const next = cls(GENERIC, text, p + 1)
  if (!(c & (NUM | NL))) { // [^\r\n\p{L}\p{N}]?\p{L}+
    if (next < 0) return BAIL
    if (next & LETTER) return run(GENERIC, text, p + 2, LETTER)
  }
  if (c & NUM) { // \p{N}{1,3}
    if (next < 0) return BAIL
    if (!(next & NUM)) return p + 1
    const third = cls(GENERIC, text, p + 2)
    if (third < 0) return BAIL
    return third & NUM ? p + 3 : p + 2
  }
  let q = -1 // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  if (c & OTHER) q = p
  else if (text.charCodeAt(p) === 32 && next > 0 && next & OTHER) q = p + 1
  if (q >= 0) {
    let e = run(GENERIC, text, q + 1, OTHER)
    if (e < 0) return BAIL
    while (e < text.length && isNl(text, e)) e++ // [\r\n]*
    return e
  }
  return whitespace(text, p)
}

/** `[^\r\n\p{L}\p{N}]?[Up]*[Lo]+C?` then `[^\r\n\p{L}\p{N}]?[Up]+[Lo]*C?`, Up and Lo disjoint in the table */
function o200kWord(text: string, p: number, c: number): number {
  const s = c & (LETTER | NUM | NL) ? p : p + 1 // the optional prefix is taken when it can be
  const u = run(O200K_CLASSES, text, s, UP)
  if (u < 0) return BAIL
  const l = run(O200K_CLASSES, text, u, LO)
  if (l < 0) return BAIL
  // alternative 1 needs a lowercase run after the uppercase one; alternative 2 an uppercase run
  if (l === u && u === s) return 0
  const k = contraction(text, l, true)
  return k < 0 ? BAIL : l + k
}

function scanO200k(text: string, p: number): number {
  const c = cls(O200K_CLASSES, text, p)
  if (c < 0) return BAIL
  const w = o200kWord(text, p, c)
  if (w !== 0) return w
  const next = cls(O200K_CLASSES, text, p + 1)
  if (c & NUM) {
    if (next < 0) return BAIL
    if (!(next & NUM)) return p + 1
    const third = cls(O200K_CLASSES, text, p + 2)
    if (third < 0) return BAIL
    return third & NUM ? p + 3 : p + 2
  }
  let q = -1 // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
  if (c & OTHER) q = p
  else if (text.charCodeAt(p) === 32) {
    if (next < 0) return BAIL
    if (next & OTHER) q = p + 1
  }
  if (q >= 0) {
    let e = run(O200K_CLASSES, text, q + 1, OTHER)
    if (e < 0) return BAIL
    for (;;) { // [\r\n/]*: '/' is OTHER so the run above took it; a newline may be followed by '/'
      const d = cls(O200K_CLASSES, text, e) // a character the table defers is not in [\r\n/]: the piece ends
      if (d > 0 && (d & NL || text.charCodeAt(e) === 47)) e++
      else return e
    }
  }
  return whitespace(text, p)
}

/** the table-driven scanner for a family: end of the piece starting at p, or -1 to ask the regex */
export function asciiScanner(family: PatternFamily): (text: string, p: number) => number {
  return family === 'r50k' ? scanR50k : family === 'cl100k' ? scanCl100k : scanO200k
}
