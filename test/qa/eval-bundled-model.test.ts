/**
 * `llm eval` on the bundled model (models/default: a char-level Llama with neither BOS nor EOS,
 * trained on raw text as nanoGPT does). It used to refuse every task ("the model has neither a
 * BOS nor an EOS token"), so `llm eval tinyshakespeare` failed out of the box. Now a document's
 * first token starts the context and the rest are predicted; the log-likelihood is checked
 * against PyTorch (test/fixtures/eval/torch_loglik.py, float64) with that first token as prefix.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { have, PY, repoRoot, runCli, SHARED, shared, TORCH } from '../helpers.js'

const work = mkdtempSync(join(tmpdir(), 'llm-qa-eval-'))
const text = 'ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n'
const file = join(work, 'romeo.txt')
writeFileSync(file, text)

function evalSamples(maxLength: number): { ll: number; tokens: number; ppl: number } {
  const samples = join(work, `samples-${maxLength}.jsonl`)
  const r = runCli(['eval', file, '--max-length', String(maxLength), '--json', '--log-samples', samples])
  expect(r.code, r.stderr).toBe(0)
  const res = JSON.parse(r.stdout) as { results: Record<string, Record<string, number>> }
  const s = JSON.parse(readFileSync(samples, 'utf8').trim()) as { loglikelihoods: number[]; tokens: number }
  return { ll: s.loglikelihoods[0]!, tokens: s.tokens, ppl: res.results.romeo!['token_perplexity,none']! }
}

describe('llm eval with the bundled model (no BOS, no EOS)', () => {
  const ids = JSON.parse(runCli(['tokenize', '-t', join(repoRoot, 'models/default'), '--ids', text]).stdout) as number[]

  it('perplexity predicts every token after the first, in one window and in rolling windows', () => {
    for (const L of [256, 32]) {
      const ours = evalSamples(L)
      expect(ours.tokens).toBe(ids.length - 1)
      expect(ours.ppl).toBeCloseTo(Math.exp(-ours.ll / (ids.length - 1)), 10)
      if (!have(TORCH, SHARED)) continue // PyTorch's log-likelihood: the CI fails without it
      const ref = spawnSync(PY, [join(repoRoot, 'test/fixtures/eval/torch_loglik.py'), join(repoRoot, 'models/default'), shared('tools')], {
        input: JSON.stringify({ max_length: L, documents: [{ tokens: ids.slice(1), prefix: ids[0] }] }), encoding: 'utf8',
      })
      expect(ref.status, ref.stderr).toBe(0)
      const torchLl = (JSON.parse(ref.stdout) as { documents: number[] }).documents[0]!
      expect(Math.abs(ours.ll - torchLl), `ours ${ours.ll} torch ${torchLl} (L=${L})`).toBeLessThan(1e-4)
    }
  }, 60_000)

  it('multiple choice scores choices after the bare context; an empty context is a clear error', () => {
    const ok = join(work, 'mc.jsonl')
    writeFileSync(ok, JSON.stringify({ query: 'ROMEO:\nBut soft, what light through yonder', choices: ['window', 'qzxqzx'], gold: 0 }) + '\n')
    const r = runCli(['eval', ok, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as { results: { mc: Record<string, number> } }).results.mc['acc,none']).toBe(1)
    const empty = join(work, 'empty-ctx.jsonl')
    writeFileSync(empty, JSON.stringify({ query: '', choices: ['a', 'b'], gold: 0 }) + '\n')
    const e = runCli(['eval', empty])
    expect(e.code).toBe(1)
    expect(e.stderr).toBe(`llm eval: error: ${empty}:1: the context is empty and the model has no BOS or EOS token to start from (hint: give every item some context text)\n`)
  })
})
