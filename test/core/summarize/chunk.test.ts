import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { chunkText, paragraphs, sentences, words } from '../../../src/core/summarize/index.js'
import { loadTokenizer } from '../../../src/tokenizer/load.js'
import type { Tokenizer } from '../../../src/tokenizer/types.js'
import { needs, seededRandom, shared, SHARED } from '../../helpers.js'

const slice = (t: string) => (s: { start: number; end: number }) => t.slice(s.start, s.end)

describe('segment (Intl.Segmenter)', () => {
  it('paragraphs at blank lines, sentences and words as verbatim spans, in any script', () => {
    const t = '  First one. Second one!\n\n\n  Next para?\nA line\r\n \r\nLast.'
    expect(paragraphs(t).map(slice(t))).toEqual(['First one. Second one!', 'Next para?\nA line', 'Last.'])
    expect(sentences(t).map(slice(t))).toEqual(['First one.', 'Second one!', 'Next para?', 'A line', 'Last.'])
    const zh = '今天天气很好。我们去公园散步吧！你觉得怎么样？'
    expect(sentences(zh).map(slice(zh))).toEqual(['今天天气很好。', '我们去公园散步吧！', '你觉得怎么样？'])
    const ja = '東京は日本の首都です。人口は多い。'
    expect(sentences(ja).map(slice(ja))).toEqual(['東京は日本の首都です。', '人口は多い。'])
    expect(words('Hello, wörld — 42!').map(slice('Hello, wörld — 42!'))).toEqual(['Hello', 'wörld', '42'])
    expect(words('我们去公园').length).toBeGreaterThan(1) // ICU's dictionary splits unspaced scripts
  })
})

needs(SHARED).describe('chunkText with a real tokenizer (Llama SentencePiece tokenizer.json)', () => {
  let tok: Tokenizer
  let doc: string
  const count = (s: string): number => tok.encode(s).length
  beforeAll(() => {
    tok = loadTokenizer(shared('models/ortgenai-tiny-random-llama-fp16/tokenizer.json'))
    doc = readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8').slice(0, 20_000)
  })

  it('every chunk within the budget (measured on its own text), verbatim, covering the document in order', () => {
    for (const max of [40, 128, 300]) {
      const chunks = chunkText(doc, { maxTokens: max, countTokens: count })
      expect(chunks.length).toBeGreaterThan(1)
      let pos = 0
      for (const c of chunks) {
        expect(c.text).toBe(doc.slice(c.start, c.end))
        expect(c.tokens).toBe(count(c.text))
        expect(c.tokens).toBeLessThanOrEqual(max)
        expect(doc.slice(pos, c.start).trim()).toBe('') // nothing but white space skipped
        pos = c.end
      }
      expect(doc.slice(pos).trim()).toBe('')
    }
  })

  it('cuts at paragraph ends when paragraphs fit, else at sentence ends', () => {
    // C4 documents as paragraphs (the Wikipedia text has none)
    const c4 = readFileSync(shared('data/instruct/c4_demo.jsonl'), 'utf8').trim().split('\n').slice(0, 40).map((l) => (JSON.parse(l) as { text: string }).text.replace(/\n+/g, ' ')).join('\n\n')
    const paras = new Set(paragraphs(c4).map((p) => p.end))
    const sents = sentences(doc)
    const ends = new Set(sents.map((s) => s.end))
    const big = chunkText(c4, { maxTokens: 600, countTokens: count })
    expect(big.length).toBeGreaterThan(5)
    // a chunk ends inside a paragraph only when it is more than half full (else it is filled with the paragraph's sentences)
    expect(big.filter((c) => paras.has(c.end)).length).toBeGreaterThan(0)
    for (const c of big.slice(0, -1)) if (!paras.has(c.end)) expect(c.tokens).toBeGreaterThan(300)
    // …or inside a sentence that alone is over the budget
    for (const c of chunkText(doc, { maxTokens: 60, countTokens: count })) {
      if (ends.has(c.end)) continue
      const s = sents.find((x) => x.start < c.end && c.end < x.end)!
      expect(count(doc.slice(s.start, s.end))).toBeGreaterThan(60)
    }
  })

  it('overlap repeats the end of the previous chunk, still within the budget', () => {
    const chunks = chunkText(doc, { maxTokens: 150, overlapTokens: 60, countTokens: count })
    let overlapped = 0
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.tokens).toBeLessThanOrEqual(150)
      expect(chunks[i]!.end).toBeGreaterThan(chunks[i - 1]!.end) // always progresses
      if (chunks[i]!.start < chunks[i - 1]!.end) overlapped++
    }
    expect(overlapped).toBeGreaterThan(chunks.length / 3)
  })

  it('a run with no break at all (base64) and a giant word are split anyway', () => {
    const rnd = seededRandom(7)
    const b64 = Buffer.from(Array.from({ length: 3000 }, () => Math.floor(rnd() * 256))).toString('base64')
    const t = `Intro sentence.\n\n${b64}\n\nOutro.`
    const chunks = chunkText(t, { maxTokens: 50, countTokens: count })
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(50)
    expect(chunks.map((c) => c.text).join('').replace(/\s/g, '')).toBe(t.replace(/\s/g, ''))
  })
})
