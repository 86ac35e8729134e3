import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Tokenizer as HfTokenizer } from 'tokenizers'
import { describe, expect, it } from 'vitest'
import { loadHfTokenizer } from '../../../src/tokenizer/hf/index.js'
import { loadLlama2cTokenizer } from '../../../src/tokenizer/llama2c/index.js'
import { loadSentencePieceModel } from '../../../src/tokenizer/sentencepiece/index.js'
import { llama2cToHfTokenizerJson, mergesFromScores, sentencePieceToHfTokenizerJson } from '../../../src/tokenizer/sentencepiece/to-hf.js'
import { needs, repoRoot, SHARED, shared } from '../../helpers.js'

// Reference: the official Rust `tokenizers` (npm) loading our JSON must reproduce the ids that
// the official `sentencepiece` produced (test/fixtures/tokenizer/sp/goldens.json).
interface Case { text: string; ids: number[]; decoded: string }
const goldens = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/tokenizer/sp/goldens.json'), 'utf8')) as { models: Record<string, { cases: Case[] }> }

/**
 * Texts on which LlamaConverter's design matches SentencePiece: no leading/trailing/repeated
 * spaces (remove_extra_whitespaces is not converted; SentencePiece also trims a trailing literal
 * ▁), and no control-token text (HF matches added tokens in the input).
 */
const convertible = (t: string): boolean => !/^ |[ \u2581]$| {2}|<\/?s>|<unk>/.test(t)

needs(SHARED).describe(`SentencePiece → tokenizer.json (stories260K)`, () => {
  const sp = loadSentencePieceModel(shared('models/stories260K/tok512.model'))
  const json = sentencePieceToHfTokenizerJson(sp)
  const hf = HfTokenizer.fromString(JSON.stringify(json))
  const cases = goldens.models.tok512!.cases.filter((c) => convertible(c.text))

  it('covers most of the adversarial corpus', () => {
    expect(cases.length).toBeGreaterThan(120)
  })

  it(`Hugging Face tokenizers encodes ${cases.length} texts id for id as sentencepiece`, async () => {
    const bad: unknown[] = []
    for (const c of cases) {
      const got = (await hf.encode(c.text, null, { addSpecialTokens: false })).getIds()
      if (JSON.stringify(got) !== JSON.stringify(c.ids)) bad.push({ text: c.text, want: c.ids, got })
    }
    expect(bad).toEqual([])
  })

  it('adds BOS through the post-processor and decodes back to sentencepiece text', async () => {
    const bad: unknown[] = []
    for (const c of cases) {
      const withBos = (await hf.encode(c.text)).getIds()
      const text = await hf.decode(withBos, true)
      // SentencePiece's decoder drops every leading ▁ of a remove_extra_whitespaces model; HF's Strip drops one
      const decodedOk = c.text.startsWith('\u2581') || text === c.decoded
      if (JSON.stringify(withBos) !== JSON.stringify([1, ...c.ids]) || !decodedOk) bad.push({ text: c.text, withBos, decoded: text, want: c.decoded })
    }
    expect(bad).toEqual([])
  })

  it('loads in our own Hugging Face loader with the same ids', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'llm-sp-hf-')), 'tokenizer.json')
    writeFileSync(path, JSON.stringify(json))
    const ours = loadHfTokenizer(path)
    const bad = cases.filter((c) => JSON.stringify(ours.encode(c.text)) !== JSON.stringify(c.ids))
    expect(bad.map((c) => c.text)).toEqual([])
    expect(ours.encode('Once upon a time', { addSpecialTokens: true })[0]).toBe(1)
  })

  it('shows the documented difference on runs of spaces (so the filter above is needed)', async () => {
    const got = (await hf.encode('a  b', null, { addSpecialTokens: false })).getIds()
    expect(got).not.toEqual(sp.encode('a  b'))
  })

  it('gives the same tokenizer.json from llama2.c tokenizer.bin as from the .model', () => {
    const fromBin = llama2cToHfTokenizerJson(loadLlama2cTokenizer(shared('models/stories260K/tok512.bin')))
    expect(fromBin).toEqual(json)
  })
})

describe('mergesFromScores', () => {
  it('lists every split of a piece into two pieces, best score first', () => {
    // pieces: a b c ab bc abc ; abc can be split a|bc and ab|c
    const pieces = ['a', 'b', 'c', 'ab', 'bc', 'abc']
    const scores = [0, 0, 0, -1, -3, -2]
    expect(mergesFromScores(pieces, scores).map(([l, r]) => `${l} ${r}`)).toEqual(['a b', 'a bc', 'ab c', 'b c'])
  })
})

describe('SentencePiece → tokenizer.json refusals', () => {
  const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/tokenizer/sp', name)
  it('refuses models the Llama layout cannot represent exactly', () => {
    expect(() => sentencePieceToHfTokenizerJson(loadSentencePieceModel(fixture('uni_id.model')))).toThrow(/unigram/)
    expect(() => sentencePieceToHfTokenizerJson(loadSentencePieceModel(fixture('bpe_rules.model')))).toThrow(/normalizer/)
  })
})
