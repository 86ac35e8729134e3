/**
 * The split-pattern translator against independent references: Unicode's PropList (White_Space),
 * and Oniguruma itself, run through the official `tokenizers` Node binding (a Split pre-tokenizer
 * with a Regex pattern reports the matched spans). Rust fancy-regex parity (tiktoken's engine)
 * is covered id for id in test/tokenizer/tiktoken/.
 */
import { Tokenizer as HfTokenizer } from 'tokenizers'
import { describe, expect, it } from 'vitest'
import { LlmError } from '../../src/core/errors.js'
import { compileSplitRegex, translateRegex } from '../../src/tokenizer/regex.js'
import { ADVERSARIAL } from '../fixtures/tokenizer/adversarial.js'

/** Unicode 15+ PropList.txt, property White_Space (25 code points) */
const WHITE_SPACE = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]

/** Oniguruma's spans (code point offsets) for every match and gap, via tokenizers' Split */
async function onigSpans(pattern: string, text: string): Promise<number[][]> {
  const json = {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
    post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
  }
  const enc = await HfTokenizer.fromString(JSON.stringify(json)).encode(text)
  return enc.getOffsets()
}

/** our spans, same convention: matches and the gaps between them, in code points */
function ourSpans(re: RegExp, text: string): number[][] {
  const cpIndex: number[] = []
  let k = 0
  for (let i = 0; i < text.length; i++) {
    cpIndex[i] = k
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) cpIndex[++i] = k
    k++
  }
  cpIndex[text.length] = k
  const spans: number[][] = []
  let last = 0
  for (const m of text.matchAll(re)) {
    if (m[0] === '') continue
    if (m.index > last) spans.push([cpIndex[last]!, cpIndex[m.index]!])
    spans.push([cpIndex[m.index]!, cpIndex[m.index + m[0].length]!])
    last = m.index + m[0].length
  }
  if (last < text.length) spans.push([cpIndex[last]!, cpIndex[text.length]!])
  return spans
}

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
const CL100K = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const O200K = [
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  '\\p{N}{1,3}', ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*', '\\s*[\\r\\n]+', '\\s+(?!\\S)', '\\s+',
].join('|')

describe('translateRegex', () => {
  it('makes \\s exactly Unicode White_Space (no U+FEFF, with U+0085) and \\S its complement', () => {
    const s = new RegExp(`^${translateRegex('\\s')}$`, 'u')
    const notS = new RegExp(`^${translateRegex('\\S')}$`, 'u')
    const inClass = new RegExp(`^${translateRegex('[\\s]')}$`, 'u')
    const found: number[] = []
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const ch = String.fromCodePoint(c)
      const hit = s.test(ch)
      if (hit) found.push(c)
      if (notS.test(ch) === hit || inClass.test(ch) !== hit) throw new Error(`\\S or [\\s] disagrees with \\s at U+${c.toString(16)}`)
    }
    expect(found).toEqual(WHITE_SPACE)
    expect(/^\s$/u.test('\ufeff')).toBe(true) // the JS behaviour being corrected
  })

  it('splits "a \\uFEFFb" as Oniguruma does, where the naive JS pattern does not', async () => {
    const text = 'a \ufeffb'
    const want = await onigSpans(GPT2, text)
    expect(ourSpans(compileSplitRegex(GPT2), text)).toEqual(want)
    expect(ourSpans(new RegExp(GPT2, 'gu'), text)).not.toEqual(want)
  })

  const PATTERNS: Array<[string, string]> = [
    ['gpt2', GPT2],
    ['cl100k / llama3', CL100K],
    ['o200k', O200K],
    ['deepseek-style classes', '[\\r\\n]|\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕ]+|\\s?[!-/:-~！-／：-～‘-‟　-。]+|\\s+$|[一-龥ࠀ-一가-퟿]+|\\p{N}+'],
    ['unicode \\w \\d and .', '\\w+|\\d+|.'],
    ['escapes', '\\x41|\\x{1F600}|\\u00e9|\\t+|\\.+|\\-|[\\-\\]]+'],
    ['atomic group', 'a(?>bc|b)c|[a-z]'],
    ['possessive quantifiers', '\\s++|x*+y|\\p{L}?+\\p{L}'],
    ['case-insensitive literals (ſ, Kelvin K)', "(?i:'s|k+|ab)|[^a]"],
    ['lookbehind and negative classes', '(?<=\\s)[^\\s\\p{P}]+|(?<![a-z])\\d{2,3}'],
  ]

  it.each(PATTERNS)('matches Oniguruma span for span: %s', async (_name, pattern) => {
    const re = compileSplitRegex(pattern, { dialect: 'oniguruma' })
    const texts = [...ADVERSARIAL.filter((t) => !/\p{Cs}/u.test(t)), "abc abcc xy xxy xxxz KK kk 'S 'ſ AB ab aB"]
    for (const text of texts) {
      expect(ourSpans(re, text), JSON.stringify(text)).toEqual(await onigSpans(pattern, text))
    }
  })

  it('expands (?i:) with simple case folding, including ſ and the Kelvin sign', () => {
    const re = new RegExp(`^(?:${translateRegex("(?i:'s|k)")})$`, 'u')
    for (const yes of ["'s", "'S", "'ſ", 'k', 'K', '\u212a']) expect(re.test(yes), yes).toBe(true)
    for (const no of ["'x", 'x', "'ß"]) expect(re.test(no), no).toBe(false)
    expect(translateRegex('(?i)a(?-i:b)c')).toBe('[Aa](?:b)[Cc]')
  })

  it('refuses constructs it cannot translate exactly, naming them and the offset', () => {
    const bad: Array<[string, RegExp]> = [
      ['(a)\\1', /unsupported escape \\1 at offset 3/],
      ['[a&&b]', /class set operation at offset 2/],
      ['[[:alpha:]]', /POSIX class at offset 1/],
      ['[a[b]]', /nested class at offset 2/], // Rust accepts it; Oniguruma's is tested below
      ['(?x) a', /unsupported flag 'x'/],
      ['(?i:\\p{Lu})', /Unicode property inside a case-insensitive group/],
      ['\\p{NoSuchProperty}', /unknown Unicode property 'NoSuchProperty'/],
      ['(ab', /missing '\)'/],
      ['ab)', /unbalanced '\)'/],
      ['*a', /nothing to repeat/],
    ]
    for (const [pattern, message] of bad) {
      let err: unknown
      try { translateRegex(pattern, { where: 'tokenizer.json' }) } catch (e) { err = e }
      expect(err, pattern).toBeInstanceOf(LlmError)
      expect((err as LlmError).oneLine(), pattern).toMatch(message)
      expect((err as LlmError).oneLine()).toMatch(/^tokenizer\.json: /)
    }
  })

  it('keeps Rust and Oniguruma apart where they differ: anchors, \\w, \\Z', async () => {
    const text = 'ab  \ncd  \nⅫ\u200dx'
    for (const pattern of ['\\s+$|^\\w+|.', '\\w+|\\s+\\Z|.']) {
      expect(ourSpans(compileSplitRegex(pattern, { dialect: 'oniguruma' }), text)).toEqual(await onigSpans(pattern, text))
    }
    const rust = compileSplitRegex('\\s+$|^\\w+|.')
    expect([...text.matchAll(rust)].map((m) => m[0]).slice(0, 2)).toEqual(['ab', ' ']) // text anchors
    expect(new RegExp(`^${translateRegex('\\w+')}$`, 'u').test('Ⅻ\u200d')).toBe(true) // Nl and Join_Control
  })

  it('accepts script names bare, as Rust does, and single-letter properties', () => {
    expect(translateRegex('\\p{Greek}\\pL\\PN')).toBe('\\p{Script=Greek}\\p{L}\\P{N}')
  })
})

/**
 * Constructs where the former Hugging Face-only translator (hf/onig.ts) and this one disagreed,
 * or that only one of them accepted: Oniguruma (via `tokenizers`) decides each.
 */
describe("the 'oniguruma' dialect where the two former translators differed", () => {
  const onig = (p: string): RegExp => compileSplitRegex(p, { dialect: 'oniguruma' })

  it('reads X{n,m}+ as a repetition of X{n,m} (Ruby syntax), where Rust makes it possessive', async () => {
    expect(await onigSpans('\\p{N}{1,3}+', '12345')).toEqual([[0, 5]])
    expect(ourSpans(onig('\\p{N}{1,3}+'), '12345')).toEqual([[0, 5]])
    expect(ourSpans(compileSplitRegex('\\p{N}{1,3}+'), '12345')).toEqual([[0, 3], [3, 5]]) // Rust: possessive
    expect(ourSpans(compileSplitRegex('a{1,2}+b'), 'aab')).toEqual([[0, 3]])
    expect(ourSpans(compileSplitRegex('a{1,2}+ab'), 'aab')).toEqual([[0, 3]]) // possessive: never gives an 'a' back
  })

  const CASES: Array<[string, string, string[]]> = [
    ['{n}+ {n,}+ {n,m}+? and {,n}', '\\p{N}{2}+|x{2,}+|y{1,3}+?|q{,2}z', ['12345 xxxxx yyyy qqqz qz z']],
    ['possessive *+ ++ ?+ beside {n,m}+', '\\p{N}{1,3}+|[a-z]++|\\s?+\\S', ['12345abc  d 1234567']],
    ['nested classes, negated ones, \\W and \\S inside a class', '[a[bc]]+|[^a[^b]]+|[\\W\\d]+|[\\S&&[^x]]+', ['abcd ab!!cd 12 xyz']],
    ['class intersection', '[a-z&&[^aeiou]]+|[\\p{L}&&\\p{Lu}]', ['abcde ÀÉé']],
    ['\\b and \\B are Unicode word boundaries', '\\bx|\\Bé', ['éx x xé é']],
    ['\\w has Alphabetic (Nl, So letters like Ⓐ, combining marks), not ZWJ', '\\w+', ['Ⅻ\u200d Ⓐb ab ᪿ\u0301']],
    ['an isolated (?i) swallows the later alternatives', 'ab(?i)c|def|x', ['abC abdef ABDEF def DEF x X']],
    ['nested isolated options', 'a(?i)b|c(?-i)d|e', ['aB aC acd acD aE e']],
    ['(?i) folds \\x escapes and µ (µ Μ μ)', '(?i)\\x41|(?i:µ)|(?i:[\\x42])', ['aAbBμΜµc1']],
    ['(?i) with negated classes', '(?i:[^a-c])+', ['aAbB1 xCz']],
    ['(?i) ranges', '(?i)[a-c]+|(?i:[x-z])', ['ABCd XyZ']],
    ['(?m) is dotall, (?#…) a comment', '(?m:a.)|b(?#c)d', ['a\nb a b bd bcd']],
    ['\\h \\H, octal \\0oo, [\\b] backspace, \\a \\e', '\\h+|[\\H]|\\012|\\0|[\\b]|\\a|\\e', ['0fG\nb\0\b\u0007\u001b']],
  ]
  it.each(CASES)('matches Oniguruma span for span: %s', async (_name, pattern, texts) => {
    const re = onig(pattern)
    for (const text of texts) expect(ourSpans(re, text), JSON.stringify(text)).toEqual(await onigSpans(pattern, text))
  })

  it('refuses what Oniguruma itself rejects', async () => {
    for (const pattern of ['(?s).', '(?P<n>a)', '\\u{263a}']) {
      expect(() => onig(pattern), pattern).toThrow(LlmError)
      await expect(onigSpans(pattern, 'a'), pattern).rejects.toThrow(/Oniguruma/)
    }
    // accepted by Oniguruma, but folded inconsistently there: the c of "aAbBc" matches, not that of "xcz"
    expect(await onigSpans('(?i)\\p{Lu}', 'aAbBc')).toHaveLength(5)
    expect(await onigSpans('(?i)\\p{Lu}', 'xcz')).toHaveLength(1)
    expect(() => onig('(?i)\\p{Lu}')).toThrow(/Unicode property inside a case-insensitive group/)
  })
})
