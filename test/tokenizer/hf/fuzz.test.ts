/**
 * Seeded random Unicode strings: ids equal the Rust `tokenizers` on both real files, and for
 * byte-level BPE decode(encode(x)) === x (lossless for any well-formed string).
 */
import { expect, it } from 'vitest'
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { BYTE_TO_CHAR } from '../../../src/tokenizer/hf/chars.js'
import { HfTokenizer, loadHfTokenizer } from '../../../src/tokenizer/hf/index.js'
import { type Json, readJson } from '../../fixtures/tokenizer/hf/configs.js'
import { needs, seededRandom, SHARED, shared } from '../../helpers.js'

const GPT2 = shared('models/ortgenai-tiny-random-gpt2-fp32/tokenizer.json')
const LLAMA = shared('models/ortgenai-tiny-random-llama-fp16/tokenizer.json')

/** code point ranges weighted toward what breaks tokenizers: spaces, marks, astral, digits */
const RANGES: [number, number][] = [
  [0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x09, 0x0d], [0x00, 0x1f], [0x80, 0xff], [0x300, 0x36f],
  [0x391, 0x3c9], [0x400, 0x44f], [0x5d0, 0x5ea], [0x620, 0x64a], [0x660, 0x669], [0x900, 0x97f],
  [0x2000, 0x206f], [0x3000, 0x303f], [0x4e00, 0x4eff], [0xac00, 0xacff], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
  [0xfff0, 0xfffd], [0x1f300, 0x1f6ff], [0x1f1e6, 0x1f1ff], [0x1d400, 0x1d7ff], [0xe0000, 0xe007f], [0x10fff0, 0x10ffff],
]
const SPECIAL_BITS = [' ', '  ', '\n', "'s", "'LL", '<s>', '</s>', '<|endoftext|>', '\u00a0', '\u200d', '0123456789']

function randomString(next: () => number): string {
  const len = Math.floor(next() * 40)
  let s = ''
  for (let i = 0; i < len; i++) {
    if (next() < 0.1) { s += SPECIAL_BITS[Math.floor(next() * SPECIAL_BITS.length)]; continue }
    const [lo, hi] = RANGES[Math.floor(next() * RANGES.length)]!
    s += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)))
  }
  return s
}

needs(SHARED).describe('HfTokenizer fuzz (seeded)', () => {
  const strings = Array.from({ length: 400 }, ((next) => () => randomString(next))(seededRandom(20261126)))

  it.each([GPT2, LLAMA])('encode parity with tokenizers on random strings: %s', async (file) => {
    const ours = loadHfTokenizer(file)
    const ref = RefTokenizer.fromFile(file)
    const bad: string[] = []
    for (const s of strings) {
      for (const add of [false, true]) {
        const want = (await ref.encode(s, null, { addSpecialTokens: add })).getIds()
        const got = ours.encode(s, { addSpecialTokens: add, allowedSpecial: 'all' })
        if (got.join() !== want.join()) bad.push(`${JSON.stringify(s)}: ours ${got} ref ${want}`)
      }
      const ids = (await ref.encode(s, null, { addSpecialTokens: true })).getIds()
      if (ours.decode(ids) !== await ref.decode(ids, false)) bad.push(`decode ${JSON.stringify(s)}`)
    }
    expect(bad).toEqual([])
  })

  it('byte-level BPE round trip: decode(encode(x)) === x', async () => {
    // the tiny random GPT-2 vocab lacks some byte symbols (tokenizers then drops those bytes, and
    // so do we): give it all 256 so every string is representable
    const j = readJson(GPT2)
    const vocab = (j.model as Json).vocab as Record<string, number>
    let next = Object.keys(vocab).length
    const missing = BYTE_TO_CHAR.filter((c) => !(c in vocab))
    expect(missing.length).toBeGreaterThan(0)
    for (const c of missing) vocab[c] = next++
    const gpt2 = HfTokenizer.fromJSON(j, 'gpt2+bytes')
    const ref = RefTokenizer.fromString(JSON.stringify(j))
    const bad: string[] = []
    for (const s of strings) {
      if (gpt2.decode(gpt2.encode(s)) !== s) bad.push(s)
      // special-token texts round-trip both as plain text and as matched specials
      if (gpt2.decode(gpt2.encode(s, { allowedSpecial: 'all' })) !== s) bad.push(s)
      const want = (await ref.encode(s, null, { addSpecialTokens: false })).getIds()
      if (gpt2.encode(s, { allowedSpecial: 'all' }).join() !== want.join()) bad.push(`ids ${JSON.stringify(s)}`)
    }
    expect(bad).toEqual([])
  })
})
