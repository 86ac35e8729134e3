import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LlmError } from '../../../src/core/errors.js'
import { loadLlama2cTokenizer, parseLlama2cTokenizer } from '../../../src/tokenizer/llama2c/index.js'
import { loadSentencePieceModel } from '../../../src/tokenizer/sentencepiece/index.js'
import { needs, repoRoot, SHARED, shared } from '../../helpers.js'

// Goldens from llama2.c's own run.c tokenizer code: scripts/goldens/llama2c_goldens.py
interface Goldens {
  cases: Array<{ text: string; ids: number[]; idsBos: number[] }>
  decodeCases: Array<{ ids: number[]; hex: string }>
}
const goldens = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/tokenizer/sp/llama2c-goldens.json'), 'utf8')) as Goldens

needs(SHARED).describe(`llama2.c tokenizer.bin (stories260K tok512.bin)`, () => {
  const tok = loadLlama2cTokenizer(shared('models/stories260K/tok512.bin'))

  it('reads 512 tokens with BOS 1 and EOS 2', () => {
    expect(tok.vocabSize).toBe(512)
    expect(tok.vocab.maxTokenLength).toBe(7)
    expect(tok.idToToken(1)).toBe('\n<s>\n')
    expect(tok.tokenToId(' the')).toBe(265)
  })

  it(`encodes ${goldens.cases.length} adversarial texts exactly as run.c encode()`, () => {
    const bad = goldens.cases.filter((c) => JSON.stringify(tok.encode(c.text)) !== JSON.stringify(c.ids))
    expect(bad.map((c) => ({ text: c.text, want: c.ids, got: tok.encode(c.text) }))).toEqual([])
  })

  it('adds BOS with addSpecialTokens as run.c encode(bos=1)', () => {
    const bad = goldens.cases.filter((c) => JSON.stringify(tok.encode(c.text, { addSpecialTokens: true })) !== JSON.stringify(c.idsBos))
    expect(bad.map((c) => c.text)).toEqual([])
  })

  it(`decodes ${goldens.decodeCases.length} random id sequences as run.c decode(prev, token)`, () => {
    const bad = goldens.decodeCases.filter((c) => {
      const bytes = Buffer.concat(c.ids.map((id, i) => tok.decodeBytes(i === 0 ? -1 : c.ids[i - 1]!, id)))
      return bytes.toString('hex') !== c.hex || tok.decode(c.ids) !== Buffer.from(c.hex, 'hex').toString('utf8')
    })
    expect(bad.map((c) => c.ids)).toEqual([])
  })

  it('strips the leading space only after BOS and drops BOS/EOS with skipSpecialTokens', () => {
    const ids = tok.encode('Once upon a time', { addSpecialTokens: true })
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('Once upon a time')
    expect(tok.decode(ids.slice(1))).toBe(' Once upon a time')
  })

  it('agrees with the SentencePiece model it was exported from on text without space runs', () => {
    const sp = loadSentencePieceModel(shared('models/stories260K/tok512.model'))
    const texts = goldens.cases.map((c) => c.text).filter((t) => t.length > 0 && !/ {2}|^ | $|\0|\u2581/.test(t)) // ▁ is a space to SentencePiece only
    const bad = texts.filter((t) => JSON.stringify(sp.encode(t)) !== JSON.stringify(tok.encode(t)))
    expect(bad.length).toBeLessThan(texts.length) // sanity: most agree
    expect(bad).toEqual([])
  })

  it('encodes a long text (132k tokens, once a stack overflow) as the SentencePiece model does', () => {
    const sp = loadSentencePieceModel(shared('models/stories260K/tok512.model'))
    const t = 'Once upon a time, there was a cat. '.repeat(12000).trim()
    const ids = tok.encode(t)
    expect(ids.length).toBeGreaterThan(130_000)
    expect(ids).toEqual(sp.encode(t))
  })

  it('control-token text becomes BOS/EOS only when allowed, and a disallowed one stays text', () => {
    const plain = (t: string) => tok.encode(t)
    // '<s>' not in the allowed set: the whole text is one run.c encode, exactly as with 'none'
    expect(tok.encode('a<s>b', { allowedSpecial: new Set(['</s>']) })).toEqual(plain('a<s>b'))
    expect(tok.encode('a</s>b', { allowedSpecial: 'all' })).toEqual([...plain('a'), 2, ...plain('b')])
    expect(tok.encode('</s>x', { allowedSpecial: 'all', addSpecialTokens: true })).toEqual([1, 2, ...plain('x')])
  })
})

describe('llama2.c tokenizer errors', () => {
  const oneLine = (f: () => unknown): string => {
    try { f() } catch (e) { return (e as LlmError).oneLine() }
    return 'no error'
  }
  it('rejects a file that is not a tokenizer.bin, naming it', () => {
    expect(oneLine(() => loadLlama2cTokenizer(resolve(repoRoot, 'package.json')))).toMatch(/package\.json: not a valid llama2\.c tokenizer\.bin/)
    expect(oneLine(() => loadLlama2cTokenizer('/nonexistent/tok.bin'))).toMatch(/tok\.bin: .*no such file/)
    expect(() => parseLlama2cTokenizer(new Uint8Array([7, 0, 0, 0, 0, 0]), 'x.bin')).toThrow(/truncated/)
  })
})
