import { describe, expect, it } from 'vitest'
import { beamSearch, greedySearch, topK, type StepModel } from '../../../src/core/generate/beam.js'
import { applyProcessors, bannedNgramTokens } from '../../../src/core/generate/logits-processors.js'
import { seededRandom } from '../../helpers.js'
import { hfBeamSearch, type RefConfig } from './hf-beam-reference.js'

/**
 * A toy language model: the logits after a sequence are a deterministic pseudo-random function of
 * the whole sequence (FNV-1a hash → seeded normals × `sharpness`), so every implementation that asks
 * about the same sequence sees the same distribution.
 */
function toyLogits(V: number, seed: number, sharpness = 2): (seq: readonly number[]) => Float32Array {
  return (seq) => {
    let h = 2166136261 ^ seed
    for (const t of seq) h = Math.imul(h ^ (t + 1), 16777619)
    const rnd = seededRandom(h >>> 0)
    return Float32Array.from({ length: V }, () => sharpness * Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd()))
  }
}

/** The toy model behind the StepModel interface, keeping each row's sequence. */
function toyStepModel(f: (seq: readonly number[]) => Float32Array, prefixes: readonly (readonly number[])[]): StepModel & { calls: number[] } {
  let rows: number[][] = []
  const calls: number[] = []
  const logits = (): Float32Array => {
    calls.push(rows.length)
    const parts = rows.map(f)
    const out = new Float32Array(parts.length * parts[0]!.length)
    parts.forEach((p, i) => out.set(p, i * p.length))
    return out
  }
  return {
    calls,
    async start(k) { rows = prefixes.flatMap((p) => Array.from({ length: k }, () => [...p])); return logits() },
    async next(parents, tokens) { rows = parents.map((p, i) => [...rows[p]!, tokens[i]!]); return logits() },
  }
}

function sumLogprob(f: (seq: readonly number[]) => Float32Array, prefix: readonly number[], tokens: readonly number[]): number {
  let s = 0
  for (let i = 0; i < tokens.length; i++) {
    const x = f([...prefix, ...tokens.slice(0, i)])
    const m = Math.max(...x)
    s += x[tokens[i]!]! - (m + Math.log(x.reduce((a, v) => a + Math.exp(v - m), 0)))
  }
  return s
}

describe('topK', () => {
  it('returns the k largest, largest first, ties by lower index', () => {
    expect(topK([1, 5, 3, 5, -Infinity, 2], 3)).toEqual([1, 3, 2])
    expect(topK([0, 0, 0], 2)).toEqual([0, 1])
    expect(topK([-Infinity, -Infinity], 2)).toEqual([0, 1])
  })
})

describe('logits processors (HF semantics)', () => {
  it('no_repeat_ngram bans the tokens that would repeat an n-gram of the whole row', () => {
    expect(bannedNgramTokens([1, 2, 3, 1, 2], 3)).toEqual([3])
    expect(bannedNgramTokens([1, 2, 1, 2, 1], 2).sort()).toEqual([2, 2])
    expect(bannedNgramTokens([4, 4], 3)).toEqual([])
    expect(bannedNgramTokens([7, 8], 1).sort()).toEqual([7, 8])
  })
  it('min_new_tokens hides EOS; forced BOS/EOS keep one token; bad words ban their last token after their prefix', () => {
    const s = () => new Float64Array([0, 1, 2, 3, 4])
    const a = s(); applyProcessors(a, [9, 1], 1, { eosTokenIds: [0], maxLength: 10, minNewTokens: 2 }); expect(a[0]).toBe(-Infinity)
    const b = s(); applyProcessors(b, [9, 1, 2], 1, { eosTokenIds: [0], maxLength: 10, minNewTokens: 2 }); expect(b[0]).toBe(0)
    const c = s(); applyProcessors(c, [9], 1, { eosTokenIds: [0], maxLength: 10, forcedBosTokenId: 3 }); expect([...c]).toEqual([-Infinity, -Infinity, -Infinity, 0, -Infinity])
    const d = s(); applyProcessors(d, [9, 1, 2], 1, { eosTokenIds: [0], maxLength: 4, forcedEosTokenId: 0 }); expect([...d]).toEqual([0, -Infinity, -Infinity, -Infinity, -Infinity])
    const e = s(); applyProcessors(e, [9, 1, 2], 1, { eosTokenIds: [0], maxLength: 10, badWordsIds: [[4], [2, 3], [1, 1]] }); expect([...e]).toEqual([0, 1, 2, -Infinity, -Infinity])
  })
})

describe('beam search = a reference written from transformers\' _beam_search', () => {
  const cases: (Partial<RefConfig> & { V: number; seed: number; prompts: number[][] })[] = []
  const rnd = seededRandom(11)
  for (let i = 0; i < 60; i++) {
    const V = 3 + Math.floor(rnd() * 6)
    const B = 1 + Math.floor(rnd() * 3)
    const P = 1 + Math.floor(rnd() * 3)
    cases.push({
      V, seed: i, prompts: Array.from({ length: B }, () => Array.from({ length: P }, () => Math.floor(rnd() * V))),
      numBeams: 1 + Math.floor(rnd() * 4),
      lengthPenalty: [1, 0, 2, -0.5, 0.6][i % 5],
      earlyStopping: ([true, false, 'never'] as const)[i % 3],
      maxNewTokens: 1 + Math.floor(rnd() * 7),
      eos: i % 7 === 0 ? [0, 1] : [0],
      noRepeatNgramSize: i % 4 === 0 ? 2 : undefined,
      minNewTokens: i % 6 === 1 ? 2 : undefined,
    })
  }

  it('60 random problems: identical hypotheses and scores (batches, 1-4 beams, all early_stopping modes, length penalties, 2 EOS ids, n-gram and min-new-tokens processors)', async () => {
    let compared = 0
    for (const c of cases) {
      const f = toyLogits(c.V, c.seed, 1.5)
      const cfg: RefConfig = { numBeams: c.numBeams!, lengthPenalty: c.lengthPenalty!, earlyStopping: c.earlyStopping!, maxNewTokens: c.maxNewTokens!, eos: c.eos!, numReturnSequences: c.numBeams!, noRepeatNgramSize: c.noRepeatNgramSize, minNewTokens: c.minNewTokens, pad: c.V - 1 }
      const ref = hfBeamSearch(f, c.prompts, cfg)
      const ours = await beamSearch(toyStepModel(f, c.prompts), c.prompts, {
        numBeams: cfg.numBeams, lengthPenalty: cfg.lengthPenalty, earlyStopping: cfg.earlyStopping, maxNewTokens: cfg.maxNewTokens,
        eosTokenIds: cfg.eos, numReturnSequences: cfg.numReturnSequences, noRepeatNgramSize: cfg.noRepeatNgramSize, minNewTokens: cfg.minNewTokens,
      })
      for (let b = 0; b < c.prompts.length; b++) {
        const where = `case ${c.seed} problem ${b}`
        expect(ours[b]!.map((h) => h.tokens), where).toEqual(ref[b]!.map((h) => h.tokens))
        ours[b]!.forEach((h, j) => expect(Math.abs(h.score - ref[b]![j]!.score), where).toBeLessThan(1e-9))
        compared += ref[b]!.length
      }
    }
    expect(compared).toBeGreaterThan(150)
  })

  it('every returned hypothesis\' score = its log-probability recomputed from scratch / length^length_penalty', async () => {
    for (const lp of [1, 0, 1.7]) {
      const f = toyLogits(6, 99, 1)
      const prompts = [[2, 3], [4, 4]]
      const hyps = await beamSearch(toyStepModel(f, prompts), prompts, { numBeams: 4, numReturnSequences: 4, lengthPenalty: lp, maxNewTokens: 6, eosTokenIds: [0] })
      hyps.forEach((hs, b) => hs.forEach((h) => {
        expect(Math.abs(h.score - sumLogprob(f, prompts[b]!, h.tokens) / Math.pow(h.tokens.length, lp))).toBeLessThan(1e-9)
      }))
    }
  })

  it('one beam is greedy decoding (early_stopping true and false); greedy stops at EOS and the length limit', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const f = toyLogits(5, seed, 2)
      const prompts = [[1], [2], [3]]
      const greedy = await greedySearch(toyStepModel(f, prompts), prompts, { maxNewTokens: 8, eosTokenIds: [0] })
      for (const es of [true, false]) {
        const beams = await beamSearch(toyStepModel(f, prompts), prompts, { numBeams: 1, earlyStopping: es, maxNewTokens: 8, eosTokenIds: [0] })
        expect(beams.map((h) => h[0]!.tokens)).toEqual(greedy.map((g) => g.tokens))
      }
      for (const [b, g] of greedy.entries()) {
        // the greedy path by hand: argmax after each prefix
        const seq = [...prompts[b]!]
        const want: number[] = []
        for (let i = 0; i < 8; i++) {
          const x = f(seq); const t = x.indexOf(Math.max(...x)); want.push(t); seq.push(t)
          if (t === 0) break
        }
        expect(g.tokens).toEqual(want)
        expect(g.finishReason).toBe(want[want.length - 1] === 0 ? 'eos' : 'length')
      }
    }
  })

  it('length_penalty 0 and early_stopping never: the best hypothesis is the exact best of an exhaustive search', async () => {
    const V = 4, maxNew = 4
    for (let seed = 0; seed < 10; seed++) {
      const f = toyLogits(V, 1000 + seed, 2.5)
      // every sequence: ends in EOS (0) at any length ≤ maxNew, or runs to maxNew tokens
      let best = { tokens: [] as number[], score: -Infinity }
      const walk = (tokens: number[], score: number): void => {
        if (tokens.length > 0 && (tokens[tokens.length - 1] === 0 || tokens.length === maxNew)) {
          if (score > best.score) best = { tokens: [...tokens], score }
          return
        }
        const x = f([5 % V, ...tokens])
        const m = Math.max(...x), lse = m + Math.log(x.reduce((a, v) => a + Math.exp(v - m), 0))
        for (let t = 0; t < V; t++) walk([...tokens, t], score + x[t]! - lse)
      }
      walk([], 0)
      const prompts = [[5 % V]]
      const top = (await beamSearch(toyStepModel(f, prompts), prompts, { numBeams: V ** (maxNew - 1), lengthPenalty: 0, earlyStopping: 'never', maxNewTokens: maxNew, eosTokenIds: [0] }))[0]![0]!
      expect(top.tokens).toEqual(best.tokens)
      expect(Math.abs(top.score - best.score)).toBeLessThan(1e-9)
    }
  })

  it('problems that are done stop being computed (fewer rows per step), without changing any result', async () => {
    const f = toyLogits(8, 5, 3)
    const prompts = [[1], [2], [3], [4]]
    const m = toyStepModel(f, prompts)
    const ours = await beamSearch(m, prompts, { numBeams: 3, numReturnSequences: 3, maxNewTokens: 12, eosTokenIds: [0], earlyStopping: true })
    const ref = hfBeamSearch(f, prompts, { numBeams: 3, lengthPenalty: 1, earlyStopping: true, maxNewTokens: 12, eos: [0], numReturnSequences: 3, pad: 7 })
    expect(ours.map((p) => p.map((h) => h.tokens))).toEqual(ref.map((p) => p.map((h) => h.tokens)))
    expect(Math.min(...m.calls)).toBeLessThan(12)
  })
})
