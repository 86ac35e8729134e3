import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { convert } from '../../../src/core/convert/index.js'
import { beamSearch, decoderStepModel, greedySearch } from '../../../src/core/generate/beam.js'
import { Model } from '../../../src/core/model/load.js'
import { needs, runCli, SHARED, shared } from '../../helpers.js'
import { hfBeamSearch } from './hf-beam-reference.js'

// A real pretrained Llama (stories260K, converted by our own `convert`): beam search through the
// KV-cached, left-padded decoder rows against the reference, which recomputes every sequence from scratch.
const root = mkdtempSync(join(tmpdir(), 'llm-beam-decoder-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

needs(SHARED).describe('beam search on a decoder-only model (stories260K)', () => {
  let dir: string
  let model: Model
  const logitsOf = async (seq: readonly number[]): Promise<Float32Array> =>
    (await model.decoder.forward({ ids: seq, batch: 1, cache: model.decoder.emptyCache(1) })).logits
  beforeAll(async () => {
    dir = join(root, 'stories')
    convert({ from: 'llama2c', src: shared('models/stories260K/stories260K.bin'), tokenizer: shared('models/stories260K/tok512.model'), out: dir })
    model = await Model.load(dir)
  }, 60_000)
  afterAll(async () => { await model?.release() })

  it('cached batched beams = the reference written from _beam_search, recomputing every row without a cache', async () => {
    const prompts = [[1, 403, 407, 261], [1, 378, 335, 1180 % 512]]
    for (const cfg of [{ numBeams: 3, lengthPenalty: 1, earlyStopping: false as const }, { numBeams: 2, lengthPenalty: 0, earlyStopping: 'never' as const }, { numBeams: 4, lengthPenalty: 1.5, earlyStopping: true as const }]) {
      const ours = await beamSearch(decoderStepModel(model.decoder, prompts, 0), prompts, { ...cfg, maxNewTokens: 8, eosTokenIds: [2], numReturnSequences: cfg.numBeams })
      // the reference asks synchronously: precompute the logits of every sequence it can reach lazily
      const memo = new Map<string, Float32Array>()
      const want = async (seq: number[]): Promise<void> => { if (!memo.has(seq.join())) memo.set(seq.join(), await logitsOf(seq)) }
      // run the reference, filling the memo on misses, until it completes without a miss
      for (;;) {
        const misses: number[][] = []
        const f = (seq: number[]): Float32Array => { const hit = memo.get(seq.join()); if (hit) return hit; misses.push(seq); return new Float32Array(512) }
        const ref = hfBeamSearch(f, prompts, { ...cfg, maxNewTokens: 8, eos: [2], numReturnSequences: cfg.numBeams, pad: 0 })
        if (misses.length === 0) {
          expect(ours.map((p) => p.map((h) => h.tokens))).toEqual(ref.map((p) => p.map((h) => h.tokens)))
          ours.forEach((p, b) => p.forEach((h, j) => expect(Math.abs(h.score - ref[b]![j]!.score)).toBeLessThan(1e-4)))
          break
        }
        for (const m of misses) await want(m)
      }
    }
  }, 120_000)

  it('left padding: prompts of different lengths in one batch decode as each alone (greedy and beams)', async () => {
    const prompts = [[1, 403], [1, 378, 335, 290, 261, 411], [1]]
    const together = await beamSearch(decoderStepModel(model.decoder, prompts, 0), prompts, { numBeams: 3, maxNewTokens: 10, eosTokenIds: [2] })
    const greedyTogether = await greedySearch(decoderStepModel(model.decoder, prompts, 0), prompts, { maxNewTokens: 10, eosTokenIds: [2] })
    for (const [b, p] of prompts.entries()) {
      const [alone] = await beamSearch(decoderStepModel(model.decoder, [p], 0), [p], { numBeams: 3, maxNewTokens: 10, eosTokenIds: [2] })
      expect(together[b]![0]!.tokens).toEqual(alone![0]!.tokens)
      expect(Math.abs(together[b]![0]!.score - alone![0]!.score)).toBeLessThan(1e-4)
      const [g] = await greedySearch(decoderStepModel(model.decoder, [p], 0), [p], { maxNewTokens: 10, eosTokenIds: [2] })
      expect(greedyTogether[b]!.tokens).toEqual(g!.tokens)
    }
  }, 60_000)

  it('llm generate: --num-beams 1 prints the greedy text; --num-beams 4 --json lists scored hypotheses, best first; sampling flags with beams are a usage error', () => {
    const greedy = runCli(['generate', '-m', dir, '--temperature', '0', '-n', '24', 'Once upon a time'])
    const one = runCli(['generate', '-m', dir, '--num-beams', '1', '--temperature', '0', '-n', '24', 'Once upon a time'])
    expect(one.code).toBe(0)
    expect(one.stdout).toBe(greedy.stdout)
    const beams = runCli(['generate', '-m', dir, '--num-beams', '4', '--num-return-sequences', '3', '-n', '24', '--json', 'Once upon a time'])
    expect(beams.code, beams.stderr).toBe(0)
    const j = JSON.parse(beams.stdout) as { text: string; ids: number[]; sequences: { text: string; ids: number[]; score: number }[] }
    expect(j.sequences).toHaveLength(3)
    expect(j.sequences[0]!.text).toBe(j.text)
    expect(j.sequences.map((s) => s.score)).toEqual([...j.sequences.map((s) => s.score)].sort((a, b) => b - a))
    const bad = runCli(['generate', '-m', dir, '--num-beams', '4', '--temperature', '0.7', 'x'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe('llm generate: error: --temperature: --temperature does not apply to beam search (hint: beam search here is deterministic; drop --num-beams to sample)')
  }, 60_000)
})
