import { describe, expect, it } from 'vitest'
import {
  buildSamplerChain, candidatesFromLogits, dist, greedy, minP, penalties, SamplerChain, softmax, sortCandidates, temperature, topK, topP,
  type Candidates, type Sampler,
} from '../../../src/core/generate/sampling.js'
import { Rng } from '../../../src/core/rng.js'

/** logits whose softmax is exactly `probs` */
const logitsOf = (probs: number[]): Float32Array => Float32Array.from(probs.map(Math.log))

/** apply samplers, then return the surviving distribution as id → probability */
function distribution(logits: Float32Array, ...samplers: Sampler[]): Map<number, number> {
  const c: Candidates = candidatesFromLogits(logits)
  for (const s of samplers) s.apply(c)
  const p = softmax(c)
  return new Map(Array.from(c.ids.subarray(0, c.size), (id, i) => [id, p[i]!]))
}

function expectDist(got: Map<number, number>, want: Record<number, number>): void {
  expect([...got.keys()].sort((a, b) => a - b)).toEqual(Object.keys(want).map(Number).sort((a, b) => a - b))
  for (const [id, p] of Object.entries(want)) expect(got.get(Number(id))).toBeCloseTo(p, 6)
}

// probabilities 0.1, 0.5, 0.15, 0.25 for ids 0..3 (deliberately not sorted by id)
const base = logitsOf([0.1, 0.5, 0.15, 0.25])

describe('filtering samplers against hand-computed distributions', () => {
  it('top-k keeps the k most likely and renormalises', () => {
    expectDist(distribution(base, topK(2)), { 1: 0.5 / 0.75, 3: 0.25 / 0.75 })
    expectDist(distribution(base, topK(0)), { 0: 0.1, 1: 0.5, 2: 0.15, 3: 0.25 }) // 0 = off
    expectDist(distribution(base, topK(10)), { 0: 0.1, 1: 0.5, 2: 0.15, 3: 0.25 })
  })

  it('top-p keeps the smallest prefix whose mass reaches p', () => {
    // sorted: 0.5, 0.25 (cum 0.75), 0.15 (0.9), 0.1
    expectDist(distribution(base, topP(0.7)), { 1: 0.5 / 0.75, 3: 0.25 / 0.75 })
    expectDist(distribution(base, topP(0.75)), { 1: 0.5 / 0.75, 3: 0.25 / 0.75 })
    expectDist(distribution(base, topP(0.8)), { 1: 0.5 / 0.9, 3: 0.25 / 0.9, 2: 0.15 / 0.9 })
    expectDist(distribution(base, topP(0.3)), { 1: 1 })
  })

  it('min-p keeps tokens with p >= min_p * p_max', () => {
    // threshold 0.29 * 0.5 = 0.145: keeps 0.5, 0.25, 0.15
    expectDist(distribution(base, minP(0.29)), { 1: 0.5 / 0.9, 3: 0.25 / 0.9, 2: 0.15 / 0.9 })
    // threshold 0.31 * 0.5 = 0.155: drops 0.15 too
    expectDist(distribution(base, minP(0.31)), { 1: 0.5 / 0.75, 3: 0.25 / 0.75 })
  })

  it('temperature scales logits; 0 leaves only the argmax', () => {
    // p_i^(1/T) renormalised
    const T = 0.5
    const raw = [0.1, 0.5, 0.15, 0.25].map((p) => p ** (1 / T))
    const z = raw.reduce((a, b) => a + b)
    expectDist(distribution(base, temperature(T)), Object.fromEntries(raw.map((r, i) => [i, r / z])))
    expectDist(distribution(base, temperature(0)), { 1: 1 })
  })

  it('chains compose: top-k then top-p then min-p', () => {
    // top-k 3: 0.5, 0.25, 0.15 → renormalised 0.5/0.9=.556, .278, .167; top-p 0.8 → cum .556, .833 → keep 2
    expectDist(distribution(base, topK(3), topP(0.8)), { 1: 0.5 / 0.75, 3: 0.25 / 0.75 })
    // min-p 0.6 after that: 0.25/0.5 = 0.5 < 0.6 → only id 1
    expectDist(distribution(base, topK(3), topP(0.8), minP(0.6)), { 1: 1 })
  })
})

describe('penalties (llama.cpp / HF semantics)', () => {
  it('repeat divides positive and multiplies non-positive logits of seen tokens', () => {
    const s = penalties({ repeat: 2, lastN: 64 })
    for (const t of [0, 0, 1]) s.accept(t)
    const c = candidatesFromLogits(Float32Array.from([2, -1, 0.5]))
    s.apply(c)
    expect(Array.from(c.logits)).toEqual([1, -2, 0.5])
  })

  it('frequency counts occurrences; presence applies once', () => {
    const s = penalties({ repeat: 2, frequency: 0.5, presence: 0.25 })
    for (const t of [0, 0, 1]) s.accept(t)
    const c = candidatesFromLogits(Float32Array.from([2, -1, 0.5]))
    s.apply(c)
    // id0: 2/2 - 2*0.5 - 0.25 = -0.25; id1: -1*2 - 0.5 - 0.25 = -2.75; id2 unseen
    expect(Array.from(c.logits)).toEqual([-0.25, -2.75, 0.5])
  })

  it('only the last N accepted tokens count, and reset forgets them', () => {
    const s = penalties({ repeat: 2, lastN: 2 })
    for (const t of [0, 1, 2]) s.accept(t) // window: 1, 2
    const c = candidatesFromLogits(Float32Array.from([2, 2, 2]))
    s.apply(c)
    expect(Array.from(c.logits)).toEqual([2, 1, 1])
    s.reset()
    const d = candidatesFromLogits(Float32Array.from([2, 2, 2]))
    s.apply(d)
    expect(Array.from(d.logits)).toEqual([2, 2, 2])
  })

  it('work after top-k sorted the candidates (ids, not positions)', () => {
    const s = penalties({ repeat: 4 })
    s.accept(1)
    const c = candidatesFromLogits(base)
    topK(3).apply(c) // order now: 1, 3, 2
    s.apply(c)
    const byId = new Map(Array.from(c.ids.subarray(0, c.size), (id, i) => [id, c.logits[i]!]))
    expect(byId.get(1)).toBeCloseTo(Math.log(0.5) * 4, 5) // negative logit: multiplied
    expect(byId.get(3)).toBeCloseTo(Math.log(0.25), 5)
  })
})

describe('pickers and chains', () => {
  it('greedy picks the argmax, lowest id on ties', () => {
    const c = candidatesFromLogits(Float32Array.from([1, 3, 3, 2]))
    greedy().apply(c)
    expect(c.ids[c.selected]).toBe(1)
  })

  it('a chain must end in greedy or dist', () => {
    expect(() => new SamplerChain([topK(3)])).toThrow(/must end/)
    expect(() => new SamplerChain([])).toThrow(/must end/)
  })

  it('temperature 0 builds a greedy chain that ignores the seed', () => {
    const a = buildSamplerChain({ temperature: 0, topK: 40, topP: 0.9, minP: 0.05, repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, seed: 1 })
    expect(a.name).toBe('greedy')
    expect(a.sample(base)).toBe(1)
  })

  it('the same seed gives the same draws; another seed gives others', () => {
    const params = { temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0 }
    const flat = new Float32Array(50) // uniform over 50 ids
    const draw = (seed: number): number[] => { const ch = buildSamplerChain({ ...params, seed }); return Array.from({ length: 40 }, () => ch.sample(flat)) }
    expect(draw(42)).toEqual(draw(42))
    expect(draw(42)).not.toEqual(draw(43))
    const ch = buildSamplerChain({ ...params, seed: 7 })
    const first = Array.from({ length: 10 }, () => ch.sample(flat))
    ch.reset()
    expect(Array.from({ length: 10 }, () => ch.sample(flat))).toEqual(first)
  })

  it('dist draws follow the distribution (20,000 draws, within 4 standard errors)', () => {
    const probs = [0.1, 0.5, 0.15, 0.25]
    const s = dist(1234)
    const counts = [0, 0, 0, 0]
    const N = 20_000
    for (let i = 0; i < N; i++) { const c = candidatesFromLogits(base); s.apply(c); counts[c.ids[c.selected]!]!++ }
    probs.forEach((p, i) => expect(Math.abs(counts[i]! / N - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / N)))
  })

  it('xoshiro128** is uniform-ish, seeded and splits seeds above 2^32', () => {
    const r = Rng.fromSeed(99)
    let sum = 0
    for (let i = 0; i < 10_000; i++) { const x = r.next(); expect(x).toBeGreaterThanOrEqual(0); expect(x).toBeLessThan(1); sum += x }
    expect(sum / 10_000).toBeGreaterThan(0.48)
    expect(sum / 10_000).toBeLessThan(0.52)
    expect(Rng.fromSeed(1).next()).not.toBe(Rng.fromSeed(2 ** 32 + 1).next())
    expect(() => Rng.fromSeed(-1)).toThrow()
  })

  it('a vocab limit masks padded logits beyond the tokenizer', () => {
    const logits = Float32Array.from([0, 1, 9]) // id 2 exists only in the padded model head
    const ch = new SamplerChain([greedy()], 2)
    expect(ch.sample(logits)).toBe(1)
  })
})

describe('fast paths agree with naive references on a 32000-token vocabulary', () => {
  const rng = Rng.fromSeed(3)
  const gaussian = (): number => Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next())
  const vocab = (scale: number): Float32Array => Float32Array.from({ length: 32000 }, () => scale * gaussian())

  /** top-p the obvious way: sort every id by probability, cut at cumulative mass p */
  function naiveTopP(logits: Float32Array, p: number): number[] {
    const max = Math.max(...logits)
    const e = Array.from(logits, (l) => Math.exp(l - max))
    const z = e.reduce((a, b) => a + b)
    const order = e.map((_, i) => i).sort((a, b) => e[b]! - e[a]! || a - b)
    const kept: number[] = []
    let cum = 0
    for (const i of order) { kept.push(i); cum += e[i]! / z; if (cum >= p) break }
    return kept.sort((a, b) => a - b)
  }

  it('sortCandidates orders by descending logit, signs and -Infinity included', () => {
    const logits = vocab(4)
    logits[7] = -Infinity
    logits[8] = 0
    logits[9] = -0
    const c = candidatesFromLogits(logits)
    sortCandidates(c)
    for (let i = 1; i < c.size; i++) expect(c.logits[i - 1]!).toBeGreaterThanOrEqual(c.logits[i]!)
    expect(c.ids[c.size - 1]).toBe(7)
    expect(new Set(c.ids).size).toBe(32000)
  })

  it('top-p with the mass prefilter keeps exactly the naive set', () => {
    for (const [scale, p] of [[1, 0.9], [3, 0.95], [6, 0.5], [0.1, 0.3], [10, 0.999]] as const) {
      const logits = vocab(scale)
      const c = candidatesFromLogits(logits)
      topP(p).apply(c)
      expect(Array.from(c.ids.subarray(0, c.size)).sort((a, b) => a - b), `scale ${scale}, p ${p}`).toEqual(naiveTopP(logits, p))
    }
  })

  it('penalties index by id on fresh candidates exactly as on shuffled ones', () => {
    const logits = vocab(2)
    const s = penalties({ repeat: 1.3, frequency: 0.2, presence: 0.1 })
    for (const t of [5, 5, 900, 31999, 12]) s.accept(t)
    const fresh = candidatesFromLogits(logits)
    s.apply(fresh)
    const shuffled = candidatesFromLogits(logits)
    topK(32000).apply(shuffled) // no-op: k >= size
    sortCandidates(shuffled) // now not identity
    s.apply(shuffled)
    const byId = new Map(Array.from(shuffled.ids, (id, i) => [id, shuffled.logits[i]!]))
    for (const id of [5, 900, 31999, 12, 0, 100]) expect(byId.get(id)).toBe(fresh.logits[id])
  })
})

describe('repetition penalty against transformers.js (Hugging Face semantics)', () => {
  it('equals RepetitionPenaltyLogitsProcessor on random logits and history (window = whole history)', async () => {
    const { RepetitionPenaltyLogitsProcessor, Tensor } = await import('@huggingface/transformers')
    const rng = Rng.fromSeed(11)
    const V = 300
    for (const penalty of [1.3, 0.8, 2]) {
      const logits = Float32Array.from({ length: V }, () => (rng.next() - 0.5) * 20)
      const history = Array.from({ length: 80 }, () => Math.floor(rng.next() * V))
      const ours = penalties({ repeat: penalty, lastN: -1 })
      for (const t of history) ours.accept(t)
      const c = candidatesFromLogits(logits)
      ours.apply(c)
      const theirs = new Tensor('float32', logits.slice(), [1, V])
      new RepetitionPenaltyLogitsProcessor(penalty)._call([history.map(BigInt)], theirs)
      expect(Array.from(c.logits)).toEqual(Array.from(theirs.data as Float32Array))
    }
  })
})
