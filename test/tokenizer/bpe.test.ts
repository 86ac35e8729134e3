/**
 * The one merge core (src/tokenizer/bpe.ts): BpeMerger against `mergeNaive`, the reference beside
 * it, and against a deliberately naive test-local reference (minbpe style: rebuild the symbol
 * list after every merge, pick the lowest rank, leftmost first), for every ranker the project
 * uses (HF merge lines, tiktoken byte ranks, SentencePiece/llama2.c scores with ties) and both
 * strategies (linear scan <= 96 symbols, heap above), plus tiktoken's WASM core on long pieces.
 */
import { get_encoding } from 'tiktoken'
import { describe, expect, it } from 'vitest'
import { BpeMerger, type MergeRanker, NO_RANK, PairMergeTable, PairRanker, mergeNaive, scoreRanks } from '../../src/tokenizer/bpe.js'
import { SpanCache, utf8Encode } from '../../src/tokenizer/span-cache.js'
import { ByteRanker, ByteTokenTable, encodeBytes } from '../../src/tokenizer/tiktoken/byte-table.js'
import { loadTiktokenEncoding } from '../../src/tokenizer/tiktoken/index.js'
import { seededRandom } from '../helpers.js'

/** naive pair-rank BPE: O(n²) per merge, obviously right */
function naivePairs(ids: number[], rank: (l: number, r: number) => number, merged: (l: number, r: number) => number): number[] {
  const s = [...ids]
  for (;;) {
    let best = NO_RANK
    let at = -1
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank(s[i]!, s[i + 1]!)
      if (r < best) { best = r; at = i }
    }
    if (at < 0) return s
    s.splice(at, 2, merged(s[at]!, s[at + 1]!))
  }
}

/** naive tiktoken BPE over byte strings (as hex keys) */
function naiveBytes(bytes: number[], ranks: Map<string, number>): number[] {
  const key = (b: number[]): string => b.map((x) => x.toString(16).padStart(2, '0')).join('')
  if (ranks.has(key(bytes))) return [ranks.get(key(bytes))!]
  let parts = bytes.map((b) => [b])
  for (;;) {
    let best = NO_RANK
    let at = -1
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(key([...parts[i]!, ...parts[i + 1]!]))
      if (r !== undefined && r < best) { best = r; at = i }
    }
    if (at < 0) return parts.map((p) => ranks.get(key(p))!)
    parts = [...parts.slice(0, at), [...parts[at]!, ...parts[at + 1]!], ...parts.slice(at + 2)]
  }
}

/** fast merge of ids under `ranker` (offsets 0..n) */
function fast(merger: BpeMerger, ranker: MergeRanker, ids: number[]): { ids: number[]; starts: number[] } {
  const n = ids.length
  merger.reserve(n)
  merger.symbols.set(ids)
  for (let k = 0; k <= n; k++) merger.offsets[k] = k
  const out: number[] = []
  const starts: number[] = []
  merger.merge(ranker, n, out, starts)
  return { ids: out, starts }
}

const LENGTHS = [1, 2, 5, 30, 96, 97, 300]

describe('BpeMerger with PairRanker (Hugging Face merges)', () => {
  it('matches both references on random merge tables and inputs, short and long', () => {
    const next = seededRandom(11)
    for (let trial = 0; trial < 40; trial++) {
      const alphabet = 2 + Math.floor(next() * 5)
      const merges: Array<[number, number, number]> = []
      const ranks = new Map<string, number>()
      let nextId = alphabet
      for (let r = 0; r < 60; r++) {
        const l = Math.floor(next() * nextId)
        const rr = Math.floor(next() * nextId)
        if (ranks.has(`${l},${rr}`)) continue
        ranks.set(`${l},${rr}`, merges.length)
        merges.push([l, rr, nextId++])
      }
      const ranker = new PairRanker(merges)
      const merger = new BpeMerger()
      for (const n of LENGTHS) {
        const ids = Array.from({ length: n }, () => Math.floor(next() * alphabet))
        const got = fast(merger, ranker, ids)
        const want = naivePairs(ids, (l, r) => ranks.get(`${l},${r}`) ?? NO_RANK, (l, r) => merges[ranks.get(`${l},${r}`)!]![2])
        expect(got.ids, `trial ${trial} n ${n}`).toEqual(want)
        expect(got).toEqual(mergeNaive(ranker, ids, Array.from({ length: n + 1 }, (_, k) => k)))
      }
    }
  })

  it('a pair listed twice keeps its last line (as tokenizers\' HashMap does); the table grows', () => {
    const table = new PairMergeTable()
    table.set(1, 2, 5, 100)
    table.set(1, 2, 9, 200)
    for (let i = 0; i < 5000; i++) table.set(1000 + i, 7, 10 + i, 9000 + i)
    expect(table.rank(1, 2)).toBe(9)
    expect(table.idAt(table.find(1, 2))).toBe(200)
    expect(table.rank(4999 + 1000, 7)).toBe(5009)
    expect(table.rank(2, 1)).toBe(NO_RANK)
    expect(table.find(2, 1)).toBe(-1)
    expect(table.size).toBe(5001)
    table.clear()
    expect(table.size).toBe(0)
    expect(table.rank(1, 2)).toBe(NO_RANK)
  })
})

describe('BpeMerger with score ranks (SentencePiece, llama2.c)', () => {
  it('scoreRanks: highest score first, equal scores share a rank, NaN last', () => {
    expect(Array.from(scoreRanks([0.5, -1, 0.5, 3, NaN, -1]))).toEqual([1, 2, 1, 0, 3, 2])
  })

  it('matches both references with many tied scores (ties go to the leftmost pair)', () => {
    const next = seededRandom(23)
    for (let trial = 0; trial < 40; trial++) {
      const alphabet = 2 + Math.floor(next() * 4)
      // pieces: merged id per pair; scores drawn from few values so ties are common
      const pairId = new Map<string, number>()
      const scores: number[] = Array.from({ length: alphabet }, () => 0)
      let nextId = alphabet
      for (let r = 0; r < 50; r++) {
        const l = Math.floor(next() * nextId)
        const rr = Math.floor(next() * nextId)
        if (pairId.has(`${l},${rr}`)) continue
        pairId.set(`${l},${rr}`, nextId++)
        scores.push(Math.floor(next() * 4))
      }
      const rankOf = scoreRanks(scores)
      const ranker: MergeRanker = {
        pairRank: (l, r) => { const id = pairId.get(`${l},${r}`); return id === undefined ? NO_RANK : rankOf[id]! },
        mergedId: (l, r) => pairId.get(`${l},${r}`)!,
      }
      // the reference picks the highest score directly, leftmost on ties
      const byScore = (ids: number[]): number[] => {
        const s = [...ids]
        for (;;) {
          let best = -Infinity
          let at = -1
          for (let i = 0; i + 1 < s.length; i++) {
            const id = pairId.get(`${s[i]},${s[i + 1]}`)
            if (id !== undefined && scores[id]! > best) { best = scores[id]!; at = i }
          }
          if (at < 0) return s
          s.splice(at, 2, pairId.get(`${s[at]},${s[at + 1]}`)!)
        }
      }
      const merger = new BpeMerger()
      for (const n of LENGTHS) {
        const ids = Array.from({ length: n }, () => Math.floor(next() * alphabet))
        const got = fast(merger, ranker, ids)
        expect(got.ids, `trial ${trial} n ${n}`).toEqual(byScore(ids))
        expect(got).toEqual(mergeNaive(ranker, ids, Array.from({ length: n + 1 }, (_, k) => k)))
      }
    }
  })
})

describe('encodeBytes with ByteRanker (tiktoken ranks)', () => {
  it('matches the naive reference on a toy vocabulary, including heap-sized inputs', () => {
    const entries: Array<[Uint8Array, number]> = []
    for (let b = 0; b < 256; b++) entries.push([Uint8Array.of(b), b])
    const words = ['ab', 'ba', 'aa', 'aab', 'abab', 'bab', 'abb', 'bbb', 'aaaa', 'ababab', 'ca', 'cab']
    words.forEach((w, i) => entries.push([new TextEncoder().encode(w), 256 + i]))
    const table = new ByteTokenTable(entries)
    const ranks = new Map(entries.map(([b, id]) => [Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''), id]))
    const ranker = new ByteRanker(table)
    const merger = new BpeMerger()
    const next = seededRandom(5)
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(next() * (t % 4 === 0 ? 400 : 40))
      const bytes = Array.from({ length: n }, () => 'abc'.charCodeAt(Math.floor(next() * 3)))
      const out: number[] = []
      encodeBytes(ranker, merger, Uint8Array.from(bytes), n, out)
      expect(out).toEqual(naiveBytes(bytes, ranks))
      if (table.lookup(Uint8Array.from(bytes), 0, n) < 0) {
        ranker.bytes = Uint8Array.from(bytes)
        expect(out).toEqual(mergeNaive(ranker, bytes, Array.from({ length: n + 1 }, (_, k) => k)).ids)
      }
    }
  })

  it('rejects a table with a duplicated byte string or id', () => {
    expect(() => new ByteTokenTable([[Uint8Array.of(1), 0], [Uint8Array.of(1), 1]])).toThrow(/appears twice/)
    expect(() => new ByteTokenTable([[Uint8Array.of(1), 0], [Uint8Array.of(2), 0]])).toThrow(/appears twice/)
  })

  it('matches tiktoken on very long single pieces (heap path)', () => {
    const ref = get_encoding('cl100k_base')
    const ours = loadTiktokenEncoding('cl100k_base')
    const next = seededRandom(3)
    const long = [
      ' '.repeat(20_000) + 'x',
      Array.from({ length: 5000 }, () => 'abcdefghij'[Math.floor(next() * 10)]).join(''),
      '!@#$%^&*()'.repeat(800),
      'é'.repeat(3000),
    ]
    for (const s of long) expect(ours.encode(s)).toEqual(Array.from(ref.encode(s, [], [])))
    ref.free()
  })
})

describe('helpers', () => {
  it('utf8Encode agrees with TextEncoder, lone surrogates included', () => {
    const buf = new Uint8Array(64)
    for (const s of ['', 'abc', 'é日😀', '\ud800x', 'x\udc00', '\udbff\udfff', '\ud83d']) {
      const n = utf8Encode(s, buf)
      expect(Array.from(buf.subarray(0, n))).toEqual(Array.from(new TextEncoder().encode(s)))
    }
  })

  it('SpanCache finds spans without substrings; frequent entries survive a flood', () => {
    const cache = new SpanCache(4) // 16 slots per generation, a generation turns over at 8 entries
    const text = 'hello world hello'
    expect(cache.get(text, 0, 5)).toBeUndefined()
    cache.set('hello', 7)
    expect(cache.get(text, 12, 17)).toBe(7)
    expect(cache.get(text, 6, 11)).toBeUndefined()
    cache.set('world', [1, 2])
    expect(cache.get('a world', 2, 7)).toEqual([1, 2])
    for (let i = 0; i < 40; i++) {
      const k = `k${i}`
      expect(cache.get(k, 0, k.length)).toBeUndefined()
      cache.set(k, i)
      expect(cache.get(text, 0, 5), `after ${i}`).toBe(7) // used all along: kept
    }
    expect(cache.get('a world', 2, 7)).toBeUndefined() // not used since: gone
    expect(cache.size).toBeLessThanOrEqual(16)
  })
})
