import { describe, expect, it } from 'vitest'
import { chunkText } from '../../../src/core/index/chunk.js'
import { seededRandom } from '../../helpers.js'

const words = (s: string): number => (s.match(/\S+/g) ?? []).length

function randomDoc(seed: number): string {
  const r = seededRandom(seed)
  const vocab = ['alpha', 'beta', 'gamma', 'delta', 'river', 'stone', 'light', 'north', 'quiet', 'field']
  const paras: string[] = []
  for (let p = 0; p < 12; p++) {
    const sents: string[] = []
    for (let s = 0, n = 1 + Math.floor(r() * 6); s < n; s++) {
      sents.push(Array.from({ length: 2 + Math.floor(r() * 14) }, () => vocab[Math.floor(r() * vocab.length)]).join(' ') + (r() < 0.5 ? '.' : '!'))
    }
    paras.push(sents.join(r() < 0.3 ? '\n' : ' '))
  }
  return paras.join('\n\n') + '\n'
}

describe('chunkText', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: chunks fit, are exact slices with their line ranges, and cover every word in order`, () => {
      const text = randomDoc(seed)
      const lines = text.split('\n')
      const chunks = chunkText(text, { maxTokens: 30, overlap: 6, count: words })
      expect(chunks.length).toBeGreaterThan(2)
      let covered = -1
      const all = text.match(/\S+/g)!
      for (const c of chunks) {
        expect(c.tokens).toBe(words(c.text))
        expect(c.tokens).toBeLessThanOrEqual(30)
        // exact slice: the lines it names, joined, contain it
        expect(lines.slice(c.lineStart - 1, c.lineEnd).join('\n')).toContain(c.text)
        expect(c.text).toBe(c.text.trim())
        // where does this chunk start in the word stream? at or before the end of the previous one
        const start = text.indexOf(c.text)
        const firstWord = (text.slice(0, start).match(/\S+/g) ?? []).length
        expect(firstWord).toBeLessThanOrEqual(covered + 1)
        // overlap with the previous chunk is at most `overlap` words
        expect(covered + 1 - firstWord).toBeLessThanOrEqual(6)
        covered = firstWord + c.tokens - 1
      }
      expect(covered).toBe(all.length - 1)
    })
  }

  it('prefers paragraph boundaries, then sentences, then words', () => {
    const text = 'one two three.\n\nfour five six.\n\nseven eight nine ten eleven twelve. thirteen fourteen.'
    const c = chunkText(text, { maxTokens: 6, overlap: 0, count: words })
    expect(c.map((x) => x.text)).toEqual(['one two three.\n\nfour five six.', 'seven eight nine ten eleven twelve.', 'thirteen fourteen.'])
    expect(c.map((x) => [x.lineStart, x.lineEnd])).toEqual([[1, 3], [5, 5], [5, 5]])
    const long = chunkText('a b c d e f g h i j', { maxTokens: 4, overlap: 0, count: words })
    expect(long.map((x) => x.text)).toEqual(['a b c d', 'e f g h', 'i j'])
  })

  it('overlaps consecutive chunks by whole units that fit in the overlap', () => {
    // sentences as UAX #29 finds them (a capital after '. ')
    const text = ['S1 a b.', 'S2 c d.', 'S3 e f.', 'S4 g h.', 'S5 i j.'].join(' ')
    const c = chunkText(text, { maxTokens: 9, overlap: 3, count: words })
    expect(c.map((x) => x.text)).toEqual(['S1 a b. S2 c d. S3 e f.', 'S3 e f. S4 g h. S5 i j.'])
  })

  it('gives nothing for blank text', () => {
    expect(chunkText(' \n\n \n', { maxTokens: 5, overlap: 1, count: words })).toEqual([])
  })
})
