import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LlmError } from '../../../src/core/errors.js'
import { loadSentencePieceModel } from '../../../src/tokenizer/sentencepiece/index.js'
import { needs, repoRoot, SHARED, shared } from '../../helpers.js'

// Goldens from the official sentencepiece package: scripts/goldens/sp_goldens.py
interface Goldens {
  models: Record<string, {
    vocabSize: number; bos: number; eos: number; unk: number; pad: number
    cases: Array<{ text: string; ids: number[]; decoded: string }>
    decodeCases: Array<{ ids: number[]; text: string }>
  }>
}
const fixtures = resolve(repoRoot, 'test/fixtures/tokenizer/sp')
const goldens = JSON.parse(readFileSync(resolve(fixtures, 'goldens.json'), 'utf8')) as Goldens
const modelPath = (name: string): string => name === 'tok512' ? shared('models/stories260K/tok512.model') : resolve(fixtures, `${name}.model`)

for (const [name, g] of Object.entries(goldens.models)) {
  ;(name === 'tok512' ? needs(SHARED).describe : describe)(`SentencePiece ${name} (${name === 'tok512' ? 'stories260K' : 'fixture'})`, () => {
    const tok = loadSentencePieceModel(modelPath(name))

    it('has the same special ids and vocab size as sentencepiece', () => {
      expect(tok.vocabSize).toBe(g.vocabSize)
      expect(tok.bosTokenId ?? -1).toBe(g.bos)
      expect(tok.eosTokenId ?? -1).toBe(g.eos)
      expect(tok.unkTokenId ?? -1).toBe(g.unk)
      expect(tok.padTokenId ?? -1).toBe(g.pad)
    })

    it(`encodes ${g.cases.length} adversarial texts id for id`, () => {
      const bad = g.cases.filter((c) => JSON.stringify(tok.encode(c.text)) !== JSON.stringify(c.ids))
      expect(bad.map((c) => ({ text: c.text, want: c.ids, got: tok.encode(c.text) }))).toEqual([])
    })

    it('decodes its encodings as sentencepiece does', () => {
      const bad = g.cases.filter((c) => tok.decode(c.ids) !== c.decoded)
      expect(bad.map((c) => ({ ids: c.ids, want: c.decoded, got: tok.decode(c.ids) }))).toEqual([])
    })

    it(`decodes ${g.decodeCases.length} random id sequences (control, unknown, stray bytes)`, () => {
      const bad = g.decodeCases.filter((c) => tok.decode(c.ids) !== c.text)
      expect(bad.map((c) => ({ ids: c.ids, want: c.text, got: tok.decode(c.ids) }))).toEqual([])
    })

    it('adds BOS only when asked, and keeps control-token text as text by default', () => {
      const plain = tok.encode('hello')
      if (g.bos >= 0) expect(tok.encode('hello', { addSpecialTokens: true })).toEqual([g.bos, ...plain])
      if (g.eos >= 0) {
        const eosText = tok.idToToken(g.eos)!
        expect(tok.encode(`a${eosText}`)).not.toContain(g.eos)
        expect(tok.encode(`a${eosText}`, { allowedSpecial: 'all' })).toContain(g.eos)
      }
    })
  })
}

describe('SentencePiece errors', () => {
  const oneLine = (f: () => unknown): string => {
    try { f() } catch (e) { return (e as LlmError).oneLine() }
    return 'no error'
  }
  it('names the file when it is not a model', () => {
    expect(oneLine(() => loadSentencePieceModel(resolve(repoRoot, 'package.json')))).toMatch(/package\.json: not a valid SentencePiece model/)
    expect(oneLine(() => loadSentencePieceModel('/nonexistent/x.model'))).toMatch(/x\.model: .*no such file/)
  })
  needs(SHARED).it('rejects out-of-range ids in decode', () => {
    const tok = loadSentencePieceModel(shared('models/stories260K/tok512.model'))
    expect(() => tok.decode([512])).toThrow(/out of range/)
  })
})
