import { describe, it, expect } from 'vitest'
import { BatchSampler } from '../../../src/core/data/batches.js'
import { Rng } from '../../../src/core/rng.js'

const stream = Uint32Array.from({ length: 1000 }, (_, i) => i) // token i at position i: windows are readable

describe('BatchSampler', () => {
  it('sequential: micro-batch k row b is the window at (k·B + b)·T (torch_reference.py batch for k = 0)', () => {
    const B = 4, T = 8
    const s = new BatchSampler(stream, B, T, 'sequential', BatchSampler.initialState(0))
    for (let k = 0; k < 3; k++) {
      const { inputIds, targets } = s.next()
      for (let b = 0; b < B; b++) {
        const i = (k * B + b) * T
        expect(Array.from(inputIds.subarray(b * T, b * T + T))).toEqual(Array.from({ length: T }, (_, t) => i + t))
        expect(Array.from(targets.subarray(b * T, b * T + T))).toEqual(Array.from({ length: T }, (_, t) => i + t + 1))
      }
    }
  })
  it('sequential wraps at the end of the stream, windows stay whole', () => {
    const small = Uint32Array.from({ length: 33 }, (_, i) => i) // B·T + 1 tokens, as the torch fixture
    const s = new BatchSampler(small, 4, 8, 'sequential', BatchSampler.initialState(0))
    expect(s.next().targets.at(-1)).toBe(32) // the last token is used by the first pass
    const second = s.next()
    expect(second.inputIds[0]).toBe((32 % 25)) // start (4·8) mod (33 − 8)
    for (let b = 0; b < 4; b++) expect(second.targets[b * 8 + 7] - second.inputIds[b * 8]).toBe(8)
  })
  it('random: windows in range, deterministic per seed, different across seeds', () => {
    const a = new BatchSampler(stream, 16, 10, 'random', BatchSampler.initialState(7))
    const b = new BatchSampler(stream, 16, 10, 'random', BatchSampler.initialState(7))
    const c = new BatchSampler(stream, 16, 10, 'random', BatchSampler.initialState(8))
    const ba = a.next(), bb = b.next(), bc = c.next()
    expect(Array.from(ba.inputIds)).toEqual(Array.from(bb.inputIds))
    expect(Array.from(ba.inputIds)).not.toEqual(Array.from(bc.inputIds))
    for (let r = 0; r < 16; r++) {
      const start = ba.inputIds[r * 10]
      expect(start).toBeGreaterThanOrEqual(0)
      expect(start + 10).toBeLessThanOrEqual(999) // target of the last position exists
      expect(ba.targets[r * 10 + 9]).toBe(start + 10)
    }
  })
  it('state round-trips: a sampler restored mid-way draws the same batches', () => {
    for (const order of ['random', 'sequential'] as const) {
      const a = new BatchSampler(stream, 3, 5, order, BatchSampler.initialState(1))
      a.next(); a.next()
      const saved = JSON.parse(JSON.stringify(a.state))
      const rest = [a.next(), a.next(), a.next()].map((x) => Array.from(x.inputIds))
      const b = new BatchSampler(stream, 3, 5, order, saved)
      expect([b.next(), b.next(), b.next()].map((x) => Array.from(x.inputIds))).toEqual(rest)
    }
  })
  it('too little data is one clear error', () => {
    expect(() => new BatchSampler(stream.subarray(0, 8), 1, 8, 'random', BatchSampler.initialState(0))).toThrow(/has 8 tokens; a window of --seq-len 8 needs at least 9/)
  })
  it('Rng is uniform enough: mean ≈ 0.5, all buckets hit', () => {
    const r = Rng.fromSeed(3)
    const buckets = new Array(10).fill(0)
    let sum = 0
    for (let i = 0; i < 20000; i++) { const x = r.next(); sum += x; buckets[Math.floor(x * 10)]++ }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01)
    for (const n of buckets) expect(Math.abs(n - 2000)).toBeLessThan(200)
  })
})
