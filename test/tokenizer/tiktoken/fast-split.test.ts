/**
 * The ASCII fast splitter must cut exactly where the pattern does. Reference: the translated
 * regex (itself checked against tiktoken id for id in encoding.test.ts) and, end to end, the
 * tiktoken WASM core. Inputs are dense in the characters the scanner decides on: quotes and
 * contraction letters in both cases, digits, \r \n / and spaces, Latin characters of every class
 * in its table, and characters beyond it that must make it defer to the regex (ſ, Kelvin sign,
 * combining marks, Arabic digits, line separator, emoji).
 */
import { get_encoding } from 'tiktoken'
import { describe, expect, it } from 'vitest'
import { compileSplitRegex } from '../../../src/tokenizer/regex.js'
import { asciiScanner, patternFamily } from '../../../src/tokenizer/tiktoken/fast-split.js'
import { loadTiktokenEncoding } from '../../../src/tokenizer/tiktoken/index.js'
import { seededRandom } from '../../helpers.js'

/** the table covers code points below U+0300: Latin letters of every case class, Lm/Lo letters
 * (ª ʰ ƻ, deferred by o200k), No digits (² ¼), NEL and NBSP, symbols, soft hyphen */
const TABLE = [...'éÉßµǅǈªºʰˆƻǀ²³¼½×÷«»¡¿\u00ad\u0085\u00a0']
/** beyond the table: must defer to the regex */
const BEYOND = ['ſ', 'K', '٣', '\u0301', 'Ⅻ', '日', '\u2028', '\u3000', '😀']
const ASCII = [..."''''sStTrReEvVmMlLdDxXaA  \t\r\n\n//..,-!09900"]

function randomText(next: () => number): string {
  const n = 1 + Math.floor(next() * 24)
  let s = ''
  for (let i = 0; i < n; i++) {
    // mostly ASCII, then Latin from the class table, sometimes a character beyond it
    const x = next()
    const pool = x < 0.7 ? ASCII : x < 0.92 ? TABLE : BEYOND
    s += pool[Math.floor(next() * pool.length)]
  }
  return s
}

describe.each(['r50k_base', 'cl100k_base', 'o200k_base'] as const)('%s', (name) => {
  const enc = loadTiktokenEncoding(name)
  const family = patternFamily(enc.pattern)!
  const scan = asciiScanner(family)
  const regex = compileSplitRegex(enc.pattern)
  const sticky = new RegExp(regex.source, 'uy')

  it('recognises the encoding\'s pattern', () => {
    expect(family).toBe(name.replace('_base', ''))
  })

  it('cuts 30,000 random Latin-heavy strings exactly where the regex does', () => {
    const next = seededRandom(2024)
    for (let i = 0; i < 30_000; i++) {
      const s = randomText(next)
      const want = [...s.matchAll(regex)].map((m) => m[0])
      const got: string[] = []
      for (let p = 0; p < s.length;) {
        let e = scan(s, p)
        if (e < 0) { sticky.lastIndex = p; sticky.test(s); e = sticky.lastIndex }
        if (e <= p) throw new Error(`no progress at ${p} in ${JSON.stringify(s)}`)
        got.push(s.slice(p, e))
        p = e
      }
      // expect() per string is slow; compare cheaply and let expect() report a difference
      if (got.join('\u0000') !== want.join('\u0000')) expect(got, JSON.stringify(s)).toEqual(want)
    }
  })

  it('gives tiktoken\'s ids on 3,000 of them joined in runs', () => {
    const ref = get_encoding(name)
    const next = seededRandom(7)
    for (let i = 0; i < 3000; i++) {
      const s = randomText(next) + randomText(next)
      const got = enc.encode(s)
      const want = Array.from(ref.encode(s, [], []))
      if (got.join() !== want.join()) expect(got, JSON.stringify(s)).toEqual(want)
    }
    ref.free()
  })
})

it('leaves other patterns to the regex', () => {
  expect(patternFamily('\\s+|\\w+')).toBeUndefined()
})
