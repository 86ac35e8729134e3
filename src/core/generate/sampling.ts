/**
 * Token sampling as a chain of small samplers, in the style of llama.cpp's `llama_sampler`:
 * each sampler narrows or reshapes a candidate list (`apply`), learns the tokens actually chosen
 * (`accept`) and can start over (`reset`). A chain is itself a sampler and must end in one that
 * picks a token: `greedy` or seeded `dist`.
 *
 * Semantics (llama.cpp's, which are also Hugging Face's where both have the knob):
 *  - repetition penalty (Keskar et al. 2019 / HF RepetitionPenaltyLogitsProcessor / llama.cpp
 *    penalties): a logit of a token seen in the last `lastN` tokens is divided by `repeat` when
 *    positive and multiplied by it when not. Then OpenAI-style frequency/presence penalties:
 *    logit -= count * frequency + (count > 0 ? presence : 0). The window holds every accepted
 *    token: the prompt's and the generated ones (as llama-cli accepts its prompt tokens).
 *  - top-k keeps the k largest logits (k <= 0: off); top-p keeps the smallest prefix, by
 *    descending probability, whose mass reaches p (p >= 1: off); min-p keeps tokens whose
 *    probability is at least p times the top one's (p <= 0: off). Each keeps at least one token.
 *  - order (llama.cpp's default): penalties → top-k → top-p → min-p → temperature → dist.
 *    Temperature therefore does not change which tokens top-p/min-p keep, only how they are drawn.
 *    Temperature <= 0 means greedy (argmax, first index on ties).
 */
import { Rng } from '../rng.js'

/** The candidate list samplers work on; `size` entries of ids/logits are live. */
export interface Candidates {
  ids: Int32Array
  logits: Float32Array
  size: number
  /** live entries are sorted by descending logit */
  sorted: boolean
  /** softmax of the live logits, when a sampler computed it */
  probs?: Float32Array
  /** index (into ids) of the picked token; -1 until a picker ran */
  selected: number
  /** ids[i] === i for every live entry (fresh from the logits): samplers may index by id */
  identity: boolean
}

export interface Sampler {
  readonly name: string
  apply(c: Candidates): void
  accept(token: number): void
  reset(): void
}

/** Candidates for the first `limit` logits (limit: the tokenizer's vocab when the model pads). */
let identityIds = new Int32Array(0)

export function candidatesFromLogits(logits: Float32Array, limit = logits.length): Candidates {
  const n = Math.min(limit, logits.length)
  if (identityIds.length < n) {
    identityIds = new Int32Array(n)
    for (let i = 0; i < n; i++) identityIds[i] = i
  }
  // slice = one memcpy each, instead of building 32000-entry arrays element by element per token
  return { ids: identityIds.slice(0, n), logits: logits.slice(0, n), size: n, sorted: false, selected: -1, identity: true }
}

/** Fill `c.probs` with the softmax of the live logits. */
export function softmax(c: Candidates): Float32Array {
  let max = -Infinity
  for (let i = 0; i < c.size; i++) if (c.logits[i]! > max) max = c.logits[i]!
  const p = c.probs && c.probs.length >= c.size ? c.probs : new Float32Array(c.size)
  let sum = 0
  for (let i = 0; i < c.size; i++) { const e = Math.exp(c.logits[i]! - max); p[i] = e; sum += e }
  for (let i = 0; i < c.size; i++) p[i]! /= sum
  c.probs = p
  return p
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
const POS_BITS = 2 ** 21 // positions < 2^21: vocabularies up to 2M tokens

/**
 * Sort the live entries by descending logit (ties: earlier position first). See orderByLogit.
 */
export function sortCandidates(c: Candidates): void {
  if (c.sorted) return
  permute(c, orderByLogit(c, Array.from({ length: c.size }, (_, i) => i)))
  c.sorted = true
}

/**
 * `positions` reordered by descending logit. Each becomes one float64 — a 32-bit key that orders
 * like the logit, descending, times 2^21 plus the position (53 bits, exact) — so the native
 * numeric sort of a Float64Array does the work: far faster than sorting with a comparator.
 */
function orderByLogit(c: Candidates, positions: number[]): number[] {
  const packed = new Float64Array(positions.length)
  for (let k = 0; k < positions.length; k++) {
    const i = positions[k]!
    f32[0] = c.logits[i]!
    const bits = u32[0]!
    const ascending = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0 // orders like the float
    packed[k] = (0xffffffff - ascending) * POS_BITS + i
  }
  packed.sort()
  return Array.from(packed, (x) => x % POS_BITS)
}

function permute(c: Candidates, order: number[]): void {
  const ids = new Int32Array(order.length)
  const logits = new Float32Array(order.length)
  order.forEach((j, i) => { ids[i] = c.ids[j]!; logits[i] = c.logits[j]! })
  c.ids = ids
  c.logits = logits
  c.size = order.length
  c.probs = undefined
  c.identity = false
}

const noop = { accept(): void {}, reset(): void {} }

export function topK(k: number): Sampler {
  return {
    name: `top-k(${k})`, ...noop,
    apply(c) {
      if (k <= 0 || k >= c.size) return
      if (c.sorted) { c.size = k; c.probs = undefined; return }
      // Min-heap of the k best indices: O(V log k) instead of sorting the whole vocabulary.
      const heap: number[] = []
      const worse = (a: number, b: number): boolean => c.logits[a]! < c.logits[b]! || (c.logits[a] === c.logits[b] && c.ids[a]! > c.ids[b]!)
      const down = (i: number): void => {
        for (;;) {
          const l = 2 * i + 1, r = l + 1
          let m = i
          if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l
          if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r
          if (m === i) return
          ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
          i = m
        }
      }
      for (let i = 0; i < c.size; i++) {
        if (heap.length < k) {
          heap.push(i)
          for (let j = heap.length - 1; j > 0;) { const p = (j - 1) >> 1; if (!worse(heap[j]!, heap[p]!)) break; [heap[j], heap[p]] = [heap[p]!, heap[j]!]; j = p }
        } else if (worse(heap[0]!, i)) { heap[0] = i; down(0) }
      }
      heap.sort((a, b) => c.logits[b]! - c.logits[a]! || c.ids[a]! - c.ids[b]!)
      permute(c, heap)
      c.sorted = true
    },
  }
}

export function topP(p: number, minKeep = 1): Sampler {
  return {
    name: `top-p(${p})`, ...noop,
    apply(c) {
      if (p >= 1 || c.size <= minKeep) return
      const probs = softmax(c) // over all live tokens: the mass p refers to
      const order = orderByLogit(c, c.sorted ? Array.from({ length: c.size }, (_, i) => i) : likelyFirst(probs, c.size, p, minKeep))
      let cum = 0
      let keep = order.length
      for (let k = 0; k < order.length; k++) {
        cum += probs[order[k]!]!
        if (cum >= p && k + 1 >= minKeep) { keep = k + 1; break }
      }
      permute(c, order.slice(0, keep))
      c.sorted = true
    },
  }
}

/**
 * The positions worth sorting for top-p: those with probability >= t for the largest t in
 * max/2, max/4, … whose tokens already hold mass >= p (and number >= minKeep). Every token top-p
 * keeps is more likely than every token this leaves out, so sorting this subset gives the same
 * cut; for a peaked distribution it is tens of tokens instead of the whole vocabulary.
 */
function likelyFirst(probs: Float32Array, size: number, p: number, minKeep: number): number[] {
  let max = 0
  for (let i = 0; i < size; i++) if (probs[i]! > max) max = probs[i]!
  let t = max / 2
  for (; t > 1e-30; t /= 2) {
    let mass = 0
    let count = 0
    for (let i = 0; i < size; i++) if (probs[i]! >= t) { mass += probs[i]!; count++ }
    if (mass >= p && count >= minKeep) break
  }
  const out: number[] = []
  for (let i = 0; i < size; i++) if (probs[i]! >= t) out.push(i)
  return out
}

export function minP(p: number, minKeep = 1): Sampler {
  return {
    name: `min-p(${p})`, ...noop,
    apply(c) {
      if (p <= 0 || c.size <= minKeep) return
      let max = -Infinity
      for (let i = 0; i < c.size; i++) if (c.logits[i]! > max) max = c.logits[i]!
      // prob_i >= p * prob_max  <=>  logit_i >= logit_max + ln p
      const threshold = max + Math.log(p)
      const keep: number[] = []
      for (let i = 0; i < c.size; i++) if (c.logits[i]! >= threshold) keep.push(i)
      if (keep.length < minKeep) { sortCandidates(c); c.size = minKeep; c.probs = undefined; return }
      const wasSorted = c.sorted
      permute(c, keep)
      c.sorted = wasSorted
    },
  }
}

export function temperature(t: number): Sampler {
  return {
    name: `temperature(${t})`, ...noop,
    apply(c) {
      if (t === 1) return
      if (t <= 0) {
        // Only the argmax survives: every later sampler then has one choice.
        let best = 0
        for (let i = 1; i < c.size; i++) if (c.logits[i]! > c.logits[best]!) best = i
        permute(c, [best])
        c.sorted = true
        return
      }
      for (let i = 0; i < c.size; i++) c.logits[i]! /= t
      c.probs = undefined
    },
  }
}

export interface PenaltyOptions {
  /** tokens of history considered (llama.cpp `--repeat-last-n`, default 64; -1 = all) */
  lastN?: number
  /** 1 = off */
  repeat?: number
  /** 0 = off */
  frequency?: number
  /** 0 = off */
  presence?: number
}

export function penalties(opts: PenaltyOptions): Sampler {
  const lastN = opts.lastN ?? 64
  const repeat = opts.repeat ?? 1
  const frequency = opts.frequency ?? 0
  const presence = opts.presence ?? 0
  let history: number[] = []
  return {
    name: `penalties(repeat=${repeat},frequency=${frequency},presence=${presence},last=${lastN})`,
    accept(token) {
      history.push(token)
      if (lastN >= 0 && history.length > lastN) history = history.slice(history.length - lastN)
    },
    reset() { history = [] },
    apply(c) {
      if ((repeat === 1 && frequency === 0 && presence === 0) || history.length === 0 || lastN === 0) return
      const counts = new Map<number, number>()
      for (const t of history) counts.set(t, (counts.get(t) ?? 0) + 1)
      const penalize = (i: number, n: number): void => {
        const l = c.logits[i]!
        c.logits[i] = (l <= 0 ? l * repeat : l / repeat) - n * frequency - presence
      }
      if (c.identity) {
        for (const [id, n] of counts) if (id < c.size) penalize(id, n)
      } else {
        for (let i = 0; i < c.size; i++) {
          const n = counts.get(c.ids[i]!)
          if (n) penalize(i, n)
        }
      }
      c.sorted = false
      c.probs = undefined
    },
  }
}

export function greedy(): Sampler {
  return {
    name: 'greedy', ...noop,
    apply(c) {
      const { logits, ids } = c
      let best = 0
      let bestLogit = logits[0]!
      for (let i = 1; i < c.size; i++) {
        const l = logits[i]!
        if (l > bestLogit || (l === bestLogit && ids[i]! < ids[best]!)) { best = i; bestLogit = l }
      }
      c.selected = best
    },
  }
}

/** Draw from the softmax of the live logits with a seeded generator. */
export function dist(seed: number): Sampler {
  let rng = Rng.fromSeed(seed)
  return {
    name: `dist(seed=${seed})`,
    accept() {},
    reset() { rng = Rng.fromSeed(seed) },
    apply(c) {
      const probs = softmax(c)
      const u = rng.next()
      let cum = 0
      for (let i = 0; i < c.size; i++) {
        cum += probs[i]!
        if (u < cum) { c.selected = i; return }
      }
      c.selected = c.size - 1 // rounding left u above the total
    },
  }
}

/** A chain is a sampler; `sample(logits)` runs it and returns the picked token id. */
export class SamplerChain implements Sampler {
  readonly name: string
  constructor(readonly samplers: readonly Sampler[], private readonly vocabLimit?: number) {
    const last = samplers[samplers.length - 1]
    if (!last || !(last.name === 'greedy' || last.name.startsWith('dist('))) {
      throw new Error('a sampler chain must end with greedy or dist')
    }
    this.name = samplers.map((s) => s.name).join(' → ')
  }
  apply(c: Candidates): void { for (const s of this.samplers) s.apply(c) }
  accept(token: number): void { for (const s of this.samplers) s.accept(token) }
  reset(): void { for (const s of this.samplers) s.reset() }
  sample(logits: Float32Array): number {
    const c = candidatesFromLogits(logits, this.vocabLimit)
    this.apply(c)
    return c.ids[c.selected]!
  }
}

export interface SamplingParams {
  /** 0 = greedy */
  temperature: number
  topK: number
  topP: number
  minP: number
  repeatPenalty: number
  presencePenalty: number
  frequencyPenalty: number
  /** penalty window; llama.cpp default 64 */
  repeatLastN?: number
  seed: number
}

/** llama.cpp's defaults (common/common.h). */
export const DEFAULT_SAMPLING: Omit<SamplingParams, 'seed'> = {
  temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, repeatLastN: 64,
}

/** The chain for these parameters (llama.cpp's order; see the file header). */
export function buildSamplerChain(p: SamplingParams, vocabLimit?: number): SamplerChain {
  const chain: Sampler[] = []
  if (p.repeatPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0) {
    chain.push(penalties({ lastN: p.repeatLastN, repeat: p.repeatPenalty, presence: p.presencePenalty, frequency: p.frequencyPenalty }))
  }
  if (p.temperature <= 0) {
    chain.push(greedy())
  } else {
    if (p.topK > 0) chain.push(topK(p.topK))
    if (p.topP < 1) chain.push(topP(p.topP))
    if (p.minP > 0) chain.push(minP(p.minP))
    chain.push(temperature(p.temperature), dist(p.seed))
  }
  return new SamplerChain(chain, vocabLimit)
}
