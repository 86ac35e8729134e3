/**
 * Parity with the official tiktoken Rust core (npm `tiktoken` 1.0.22, WASM): ids, bytes and text,
 * for all four encodings, on the shared adversarial corpus, real text, every BMP code point,
 * seeded random strings, and with special tokens allowed or not.
 */
import { readFileSync } from 'node:fs'
import { get_encoding, type Tiktoken } from 'tiktoken'
import { describe, expect, it } from 'vitest'
import { TIKTOKEN_ENCODINGS, loadTiktokenEncoding } from '../../../src/tokenizer/tiktoken/index.js'
import { ADVERSARIAL } from '../../fixtures/tokenizer/adversarial.js'
import { needs, seededRandom, SHARED, shared } from '../../helpers.js'

const refs = new Map<string, Tiktoken>()
const ref = (name: string): Tiktoken => {
  let r = refs.get(name)
  if (!r) { r = get_encoding(name as 'cl100k_base'); refs.set(name, r) }
  return r
}

/** tiktoken with nothing allowed and nothing disallowed: special text is ordinary text */
const refOrdinary = (name: string, s: string): number[] => Array.from(ref(name).encode(s, [], []))
const refText = (name: string, ids: number[]): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(ref(name).decode(Uint32Array.from(ids)))

const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', "'''sStTdDmMlLvVeErRſK",
  ' ', '    ', '\n\r\t\u000b\u000c', '\u0085\u00a0\u1680\u2000\u2028\u2029\u202f\u3000\ufeff\u200b',
  '.,;:!?-_()[]{}<>/\\|@#$%^&*+=~`"', 'éèêëàâäôöûüçñßøåÆŒ', '\u0301\u0308\u0327\u0336\u20dd',
  '日本語中文字漢かなカナ한국어', 'العربيةעברית', 'Привет', '😀👍🏽👩‍👧🇫🇷❤️\u200d\ufe0f', '١٢٣①½',
  '\u0000\u0001\u001b\u007f', '\ud800\udc00\ud83d', '<|endoftext|>', '<|fim_prefix|>',
]

function randomString(next: () => number): string {
  const n = Math.floor(next() * 60)
  let s = ''
  for (let i = 0; i < n; i++) {
    const alpha = ALPHABETS[Math.floor(next() * ALPHABETS.length)]!
    const chars = [...alpha]
    const k = 1 + Math.floor(next() * 4)
    for (let j = 0; j < k; j++) s += chars[Math.floor(next() * chars.length)]
  }
  return s
}

describe.each(TIKTOKEN_ENCODINGS)('%s', (name) => {
  const ours = loadTiktokenEncoding(name)

  it('matches tiktoken id for id on the adversarial corpus, and decodes identically', () => {
    for (const s of ADVERSARIAL) {
      const want = refOrdinary(name, s)
      expect(ours.encode(s), JSON.stringify(s)).toEqual(want)
      expect(ours.decode(want)).toBe(refText(name, want))
      expect(Array.from(ours.decodeBytes(want))).toEqual(Array.from(ref(name).decode(Uint32Array.from(want))))
    }
  })

  it('matches tiktoken on 2,000 seeded random strings and round-trips them', () => {
    const next = seededRandom(1234 + name.length)
    for (let i = 0; i < 2000; i++) {
      const s = randomString(next)
      const ids = ours.encode(s)
      expect(ids, JSON.stringify(s)).toEqual(refOrdinary(name, s))
      expect(ours.decode(ids)).toBe((s as string & { toWellFormed(): string }).toWellFormed())
    }
  })

  // p50k_base shares r50k_base's pattern and all but 24 ranks: the sweep adds nothing there
  it.skipIf(name === 'p50k_base')('matches tiktoken on every BMP code point between letters, spaces and digits', () => {
    const cps: number[] = []
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      cps.push(0x61, c, 0x61, 0x20, c, 0x31, c, c, 0x27, c, 0x0a)
    }
    for (let i = 0; i < cps.length; i += 11 * 2048) {
      const s = String.fromCodePoint(...cps.slice(i, i + 11 * 2048))
      const got = ours.encode(s)
      const want = refOrdinary(name, s)
      if (got.length !== want.length || got.some((v, k) => v !== want[k])) {
        const k = got.findIndex((v, j) => v !== want[j])
        throw new Error(`first difference at id ${k}: ours ${got.slice(k, k + 5)} tiktoken ${want.slice(k, k + 5)}`)
      }
    }
  })

  it('treats special-token text as text by default and as control tokens when allowed', () => {
    const specials = [...ours.specialTokens.keys()]
    const text = `a${specials.join(' x ')}b<|endoftext|><|endoftext|>`
    expect(ours.encode(text)).toEqual(refOrdinary(name, text))
    expect(ours.encode(text, { allowedSpecial: 'none' })).toEqual(refOrdinary(name, text))
    expect(ours.encode(text, { allowedSpecial: 'all' })).toEqual(Array.from(ref(name).encode(text, 'all')))
    const one = new Set(['<|endoftext|>', '<|not-a-special|>'])
    expect(ours.encode(text, { allowedSpecial: one })).toEqual(Array.from(ref(name).encode(text, ['<|endoftext|>'], [])))
    const eot = ours.specialTokens.get('<|endoftext|>')!
    expect(ours.eosTokenId).toBe(eot)
    expect(ours.decode([eot, 0])).toBe(refText(name, [eot, 0]))
    expect(ours.decode([eot, 0], { skipSpecialTokens: true })).toBe(refText(name, [0]))
    // a skipped special between the pieces of one character: the pieces still join
    const split = ours.encode('龘')
    expect(split.length).toBeGreaterThan(1) // a rare character: several byte-level tokens
    const withEot = [split[0]!, eot, ...split.slice(1)]
    expect(ours.decode(withEot, { skipSpecialTokens: true })).toBe('龘')
    expect(ours.decode(withEot)).toBe(refText(name, withEot))
  })

  it('exposes token bytes, spellings and the vocabulary size as tiktoken does', () => {
    const next = seededRandom(99)
    const r = ref(name)
    for (let i = 0; i < 500; i++) {
      const id = Math.floor(next() * ours.vocabSize)
      let want: Uint8Array | undefined
      try { want = r.decode_single_token_bytes(id) } catch { want = undefined }
      expect(ours.tokenBytes(id) && Array.from(ours.tokenBytes(id)!), `id ${id}`).toEqual(want && Array.from(want))
      const spelled = ours.idToToken(id)
      if (spelled !== undefined) expect(ours.tokenToId(spelled)).toBe(id)
    }
    expect(() => r.decode_single_token_bytes(ours.vocabSize - 1)).not.toThrow()
    expect(() => r.decode_single_token_bytes(ours.vocabSize)).toThrow()
    expect(() => ours.decode([ours.vocabSize])).toThrow(/unknown token id/)
    expect(ours.idToToken(ours.encode(' hello')[0]!)).toBe('Ġhello')
  })

  needs(SHARED).it('matches tiktoken on real text (shakespeare, wikitext, French, CJK)', () => {
    const parts = [
      readFileSync(shared('data/tinyshakespeare/input.txt'), 'utf8').slice(0, 60_000),
      readFileSync(shared('data/wikitext2/wiki.test.tokens'), 'utf8').slice(0, 60_000),
      readFileSync(shared('data/translation/flores200/fra_Latn.devtest'), 'utf8').slice(0, 30_000),
    ]
    for (const s of parts) {
      const ids = ours.encode(s)
      expect(ids).toEqual(refOrdinary(name, s))
      expect(ours.decode(ids)).toBe(s)
    }
  })
})

it('decodes invalid UTF-8 (ids cut mid-character) like tiktoken + TextDecoder', () => {
  const ours = loadTiktokenEncoding('cl100k_base')
  const ids = ours.encode('日本語 🤷‍♂️ é')
  const next = seededRandom(7)
  for (let i = 0; i < 300; i++) {
    const pick = Array.from({ length: 1 + Math.floor(next() * 6) }, () => ids[Math.floor(next() * ids.length)]!)
    expect(ours.decode(pick)).toBe(refText('cl100k_base', pick))
  }
})
