import { describe, it, expect } from 'vitest'
import { Tokenizer as RustTokenizer } from 'tokenizers'
import { byteTokenizer, charAlphabet, charTokenizer } from '../../../src/core/data/simple-tokenizers.js'

// Reference: the official Hugging Face tokenizers (Rust) loading the tokenizer.json we write.
const texts = [
  '', '?', 'First Citizen:\nBefore we proceed any further, hear me speak.\n',
  'tabs\tand  double  spaces ', 'héllo wörld — “quotes”', '한국어 😀 emoji 𝔘', 'x'.repeat(300),
]

describe('char and bytes tokenizers match Hugging Face tokenizers on their own tokenizer.json', () => {
  it('char: ids and decode agree, alphabet sorted by code point', async () => {
    const alphabet = charAlphabet(texts)
    expect(alphabet).toEqual([...alphabet].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!))
    expect(alphabet).toContain('𝔘')
    const ours = charTokenizer(alphabet)
    const ref = RustTokenizer.fromString(JSON.stringify(ours.toHfJson()))
    for (const t of texts) {
      const enc = await ref.encode(t)
      expect(ours.encode(t)).toEqual(enc.getIds())
      expect(await ref.decode(enc.getIds(), false)).toBe(t)
      expect(ours.decode(ours.encode(t))).toBe(t)
    }
    expect(ours.vocabSize).toBe(alphabet.length)
  })
  it('char: unknown characters are dropped by both', async () => {
    const ours = charTokenizer(charAlphabet(['abc']))
    const ref = RustTokenizer.fromString(JSON.stringify(ours.toHfJson()))
    expect(ours.encode('abzc')).toEqual((await ref.encode('abzc')).getIds())
  })
  it('bytes: ids are UTF-8 bytes and round-trip through HF', async () => {
    const ours = byteTokenizer()
    const ref = RustTokenizer.fromString(JSON.stringify(ours.toHfJson()))
    for (const t of texts) {
      const enc = await ref.encode(t)
      expect(ours.encode(t)).toEqual(Array.from(Buffer.from(t, 'utf8')))
      expect(enc.getIds()).toEqual(ours.encode(t))
      expect(await ref.decode(enc.getIds(), false)).toBe(t)
      expect(ours.decode(ours.encode(t))).toBe(t)
    }
  })
})
