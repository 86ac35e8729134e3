/**
 * The scorer against an independent computation: PyTorch (test/fixtures/eval/torch_loglik.py,
 * the shared torch_reference.py Llama on float64 weights read from the converted folder's
 * model.safetensors, one sequence at a time, no cache) on stories260K converted by `llm convert`.
 * Per-choice log-likelihoods of ARC-Easy items and a short text's rolling log-likelihood must
 * agree within 1e-4; batch sizes 1 and 8 must agree within float noise with identical accuracies.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Model } from '../../../src/core/model/index.js'
import { buildInstances, encodePair, logSoftmaxAt, prefixToken, resolveTask, rollingWindows, runTask, scoreLoglikelihood } from '../../../src/core/eval/index.js'
import { convertStories260K, needs, PY, repoRoot, runCli, shared, SHARED, TORCH } from '../../helpers.js'


describe('rollingWindows (lm-eval loglikelihood_rolling)', () => {
  it('predicts every token once, each window with as much context as fits', () => {
    const toks = Array.from({ length: 23 }, (_, i) => 100 + i)
    for (const L of [1, 4, 7, 23, 50]) {
      const w = rollingWindows(toks, 1, L)
      expect(w.flatMap((x) => x.continuation)).toEqual(toks)
      expect(w[0]!.context).toEqual([1])
      for (const x of w) {
        expect(x.continuation.length).toBeLessThanOrEqual(L)
        expect(x.context.length + x.continuation.length).toBeLessThanOrEqual(L + 1)
      }
      // later windows are full: context + continuation = L + 1 tokens ending at the prediction
      for (const x of w.slice(1)) expect(x.context.length + x.continuation.length).toBe(L + 1)
    }
    expect(rollingWindows([], 1, 8)).toEqual([])
  })
  it('log-softmax in float64 equals the naive formula', () => {
    const row = Float32Array.from([1.5, -2, 0.25, 3, 3])
    const z = Array.from(row).reduce((a, x) => a + Math.exp(x), 0)
    const r = logSoftmaxAt(row, 2)
    expect(r.logprob).toBeCloseTo(row[2]! - Math.log(z), 12)
    expect(r.isArgmax).toBe(false)
    expect(logSoftmaxAt(row, 3).isArgmax).toBe(true) // ties: the first maximum, as torch/numpy argmax
    expect(logSoftmaxAt(row, 4).isArgmax).toBe(false)
  })
})

needs(SHARED).describe('scoring stories260K (llm convert)', () => {
  let dir = ''
  let model: Model
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-eval-'))
    convertStories260K(join(dir, 'm'))
    model = await Model.load(join(dir, 'm'))
  }, 120_000)
  afterAll(async () => {
    await model?.release()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const torchAnswer = (req: object): { pairs: { loglikelihood: number; is_greedy: boolean }[]; documents: number[] } => {
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/eval/torch_loglik.py'), join(dir, 'm'), shared('tools')], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 64 << 20 })
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(r.stdout)
  }

  needs(TORCH).it('ARC-Easy per-choice log-likelihoods equal PyTorch (float64) within 1e-4, at batch 1 and 8', async () => {
    const task = resolveTask('arc_easy')
    const inst = buildInstances(task, { limit: 4 })
    if (inst.type !== 'multiple_choice') throw new Error('expected multiple choice')
    const bos = prefixToken(model)
    const reqs = inst.items.flatMap((it) => it.choices.map((c) => encodePair(model, it.context, ' ' + c, bos)))
    const ours1 = await scoreLoglikelihood(model.decoder, reqs, { batchSize: 1, maxLength: 512 })
    const ours8 = await scoreLoglikelihood(model.decoder, reqs, { batchSize: 8, maxLength: 512 })
    const ref = torchAnswer({ max_length: 512, pairs: reqs })
    let maxDiff = 0
    ref.pairs.forEach((p, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(p.loglikelihood - ours1[i]!.loglikelihood), Math.abs(p.loglikelihood - ours8[i]!.loglikelihood))
      expect(ours1[i]!.isGreedy).toBe(p.is_greedy)
    })
    expect(maxDiff, `max |ours - torch| = ${maxDiff}`).toBeLessThan(1e-4)
    // the task runner reports the same numbers for the same items
    const run = await runTask(model, task, { limit: 4, batchSize: 3 })
    expect(run.samples.flatMap((s) => s.loglikelihoods).map((x, i) => Math.abs(x - ours1[i]!.loglikelihood)).every((d) => d < 1e-5)).toBe(true)
  }, 60_000)

  needs(TORCH).it('perplexity of a short text equals PyTorch, in one window and in rolling windows of 16', async () => {
    const file = join(repoRoot, 'test/fixtures/eval/story.txt')
    const task = resolveTask(file)
    expect(task.type).toBe('perplexity')
    const tokens = model.tokenizer.encode((await import('node:fs')).readFileSync(file, 'utf8'))
    const bos = prefixToken(model)
    const ref = torchAnswer({ max_length: 512, documents: [{ tokens, prefix: bos }] })
    const ref16 = torchAnswer({ max_length: 16, documents: [{ tokens, prefix: bos }] })
    const r512 = await runTask(model, task, { maxLength: 512, batchSize: 4 })
    const r16 = await runTask(model, task, { maxLength: 16, batchSize: 4 })
    const ll = r512.samples[0]!.loglikelihoods[0]!
    expect(Math.abs(ll - ref.documents[0]!), `ours ${ll} torch ${ref.documents[0]}`).toBeLessThan(1e-4)
    expect(Math.abs(r16.samples[0]!.loglikelihoods[0]! - ref16.documents[0]!)).toBeLessThan(1e-4)
    expect(ref16.documents[0]).not.toBeCloseTo(ref.documents[0]!, 1) // less context really changes the score
    // the reported perplexities follow from that log-likelihood (lm-eval's definitions)
    const text = (await import('node:fs')).readFileSync(file, 'utf8')
    const m = r512.metrics
    expect(m.token_perplexity!.value).toBeCloseTo(Math.exp(-ll / tokens.length), 8)
    expect(m.word_perplexity!.value).toBeCloseTo(Math.exp(-ll / text.split(/\s+/).length), 6)
    expect(m.byte_perplexity!.value).toBeCloseTo(Math.exp(-ll / Buffer.byteLength(text)), 8)
    expect(m.bits_per_byte!.value).toBeCloseTo(-ll / Buffer.byteLength(text) / Math.LN2, 10)
  }, 60_000)

  it('encodePair: BOS first, trailing whitespace of the context moves to the continuation (lm-eval _encode_pair)', () => {
    const bos = prefixToken(model)
    expect(bos).toBe(1)
    const r = encodePair(model, 'Lily saw a cat.\n', 'The cat ran.', bos)
    const enc = (s: string): number[] => model.tokenizer.encode(s)
    expect(r.context).toEqual([bos, ...enc('Lily saw a cat.')])
    expect(r.continuation).toEqual(enc('Lily saw a cat.\nThe cat ran.').slice(enc('Lily saw a cat.').length))
    expect(model.tokenizer.decode(r.continuation)).toBe('\nThe cat ran.')
  })

  it('HellaSwag: batch sizes 1 and 8 give the same log-likelihoods (float noise) and identical accuracies', async () => {
    const task = resolveTask('hellaswag')
    const a = await runTask(model, task, { limit: 16, batchSize: 1 })
    const b = await runTask(model, task, { limit: 16, batchSize: 8 })
    const la = a.samples.flatMap((s) => s.loglikelihoods)
    const lb = b.samples.flatMap((s) => s.loglikelihoods)
    const maxDiff = Math.max(...la.map((x, i) => Math.abs(x - lb[i]!)))
    expect(maxDiff, `max |batch1 - batch8| = ${maxDiff}`).toBeLessThan(1e-5)
    expect(a.metrics.acc!.value).toBe(b.metrics.acc!.value)
    expect(a.metrics.acc_norm!.value).toBe(b.metrics.acc_norm!.value)
    expect(a.samples.map((s) => s.prediction)).toEqual(b.samples.map((s) => s.prediction))
  }, 60_000)
})

