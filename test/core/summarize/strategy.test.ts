/**
 * The strategies against scripted Summarizers (no model): every call is measured, the worst
 * backends (answers that never shrink, empty answers) still converge, and the number of calls
 * on a 1 MB document is bounded by the chunk count.
 */
import { describe, expect, it } from 'vitest'
import { callText, runStrategy, type CallResult, type Summarizer, type SummaryCall } from '../../../src/core/summarize/index.js'
import { LlmError } from '../../../src/core/errors.js'
import { seededRandom } from '../../helpers.js'

const words = (t: string): number => t.split(/\s+/).filter(Boolean).length

type Behaviour = 'shrink' | 'grow' | 'empty'

/** tokens = words; a prompt = 20 tokens of instructions + the call's data text */
class Scripted implements Summarizer {
  calls: { call: SummaryCall; prompt: number }[] = []
  constructor(readonly contextLength: number, readonly maxOutputTokens: number, private readonly behaviour: Behaviour) {}
  countTokens(t: string): number { return words(t) }
  promptTokens(c: SummaryCall): number { return 20 + words(callText(c)) }
  async summarizeCall(c: SummaryCall): Promise<CallResult> {
    const prompt = this.promptTokens(c)
    this.calls.push({ call: c, prompt })
    const src = callText(c).split(/\s+/).filter(Boolean)
    const text = this.behaviour === 'empty' ? ''
      : this.behaviour === 'grow' ? Array.from({ length: this.maxOutputTokens + 5 }, (_, i) => `w${i}`).join(' ') // longer than allowed, never shorter than small inputs
      : src.slice(0, Math.min(this.maxOutputTokens, Math.ceil(src.length / 3))).join(' ')
    return { text, promptTokens: prompt, outputTokens: Math.min(words(text), this.maxOutputTokens) }
  }
}

function document(bytes: number, seed = 1): string {
  const rnd = seededRandom(seed)
  const vocab = ['river', 'stone', 'market', 'engine', 'garden', 'signal', 'harbor', 'winter', 'ledger', 'orbit', 'paper', 'valley']
  const parts: string[] = []
  let n = 0
  while (n < bytes) {
    const len = 6 + Math.floor(rnd() * 14)
    const s = Array.from({ length: len }, () => vocab[Math.floor(rnd() * vocab.length)]!).join(' ')
    const sentence = s[0]!.toUpperCase() + s.slice(1) + (rnd() < 0.1 ? '.\n\n' : '. ')
    parts.push(sentence)
    n += sentence.length
  }
  return parts.join('')
}

const withinContext = (s: Scripted): void => {
  for (const c of s.calls) expect(c.prompt + s.maxOutputTokens).toBeLessThanOrEqual(s.contextLength)
}

describe('strategies', () => {
  it('a 1 MB document through a 512-token context: map-reduce finishes in at most 2 × chunks calls, levels ≤ 1 + ⌈log2 chunks⌉', async () => {
    const doc = document(1_000_000)
    for (const behaviour of ['shrink', 'grow', 'empty'] as const) {
      const s = new Scripted(512, 64, behaviour)
      const r = await runStrategy(s, doc, { strategy: 'auto' })
      expect(r.strategy).toBe('map-reduce')
      expect(r.chunks).toBeGreaterThan(300)
      expect(r.calls).toBe(s.calls.length)
      expect(r.calls).toBeLessThan(2 * r.chunks)
      expect(r.levels).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(r.chunks)))
      expect(r.capped).toBe(false)
      expect(words(r.summary)).toBeGreaterThan(0)
      expect(words(r.summary)).toBeLessThanOrEqual(64)
      withinContext(s)
      if (behaviour !== 'shrink') expect(r.reductions).toBeGreaterThanOrEqual(r.calls) // every answer replaced
      // stderr-worthy numbers for the record
      console.log(`1 MB, ${behaviour}: ${r.chunks} chunks, ${r.calls} calls, ${r.levels} levels, ${r.reductions} reductions`)
    }
  })

  it('each combining level is strictly shorter, and every combine call takes at least two summaries', async () => {
    const s = new Scripted(400, 80, 'grow')
    const levels: number[] = []
    const r = await runStrategy(s, document(60_000, 2), { strategy: 'map-reduce', onEvent: (e) => levels.push(e.level) })
    expect(levels).toHaveLength(s.calls.length)
    const combines = s.calls.filter((c) => c.call.kind === 'combine')
    expect(combines.length).toBeGreaterThan(1)
    for (const c of combines) expect(c.call.parts).toBeGreaterThanOrEqual(2)
    // tokens going into each combining level
    const into = new Map<number, number>()
    s.calls.forEach((c, i) => { if (c.call.kind === 'combine') into.set(levels[i]!, (into.get(levels[i]!) ?? 0) + words(c.call.text)) })
    const totals = [...into.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t)
    expect(totals.length).toBe(r.levels - 1)
    expect(r.levels).toBeGreaterThan(2)
    for (let i = 1; i < totals.length; i++) expect(totals[i]!).toBeLessThan(totals[i - 1]!)
    withinContext(s)
  })

  it('tree: at most --fan-in summaries per call; refine: one call per chunk, each within the context', async () => {
    const doc = document(40_000, 3)
    const t = new Scripted(512, 40, 'shrink')
    const rt = await runStrategy(t, doc, { strategy: 'tree', fanIn: 3 })
    expect(rt.strategy).toBe('tree')
    for (const c of t.calls) if (c.call.kind === 'combine') expect(c.call.parts).toBeLessThanOrEqual(3)
    withinContext(t)
    const f = new Scripted(512, 40, 'grow')
    const rf = await runStrategy(f, doc, { strategy: 'refine' })
    expect(rf.calls).toBe(rf.chunks)
    expect(f.calls.slice(1).every((c) => c.call.kind === 'refine')).toBe(true)
    expect(words(rf.summary)).toBeLessThanOrEqual(40)
    withinContext(f)
  })

  it('stuff: one call when it fits; refused (never cut) when it does not; auto picks stuff for a short text', async () => {
    const short = document(800, 4)
    const s = new Scripted(512, 40, 'shrink')
    expect((await runStrategy(s, short, { strategy: 'auto' })).strategy).toBe('stuff')
    expect(s.calls).toHaveLength(1)
    const err = await runStrategy(new Scripted(512, 40, 'shrink'), document(20_000, 5), { strategy: 'stuff' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LlmError)
    expect((err as LlmError).exitCode).toBe(2)
    expect((err as LlmError).message).toMatch(/the document is \d+ tokens, more than one call holds/)
  })

  it('the level cap ends the reduction extractively and says so', async () => {
    const s = new Scripted(300, 60, 'grow')
    const notes: string[] = []
    const r = await runStrategy(s, document(100_000, 6), { strategy: 'tree', fanIn: 2, maxLevels: 3, onNote: (l) => notes.push(l) })
    expect(r.capped).toBe(true)
    expect(r.levels).toBe(3)
    expect(words(r.summary)).toBeLessThanOrEqual(60)
    expect(notes.join()).toMatch(/reached 3 levels/)
  })

  it('a context too small for prompt + output is a usage error naming the output flag', async () => {
    const err = await runStrategy(new Scripted(100, 70, 'shrink'), 'Some text here.', {}).catch((e: unknown) => e)
    expect((err as LlmError).oneLine()).toMatch(/^--max-words: the model's context \(100 tokens\) leaves/)
  })
})
