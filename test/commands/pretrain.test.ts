import { describe, it, expect, beforeAll } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readSafetensors } from '../../src/core/safetensors.js'
import { repoRoot, runCli } from '../helpers.js'

// Reference: one PyTorch AdamW step per fixture (test/fixtures/torch/<name>/, made by
// scripts/torch-fixtures.sh from ../shared/tools/torch_reference.py). The CLI must take the same
// step: same batch (sequential order = the reference's windows), same lr, same AdamW settings.
const fixtures = resolve(repoRoot, 'test/fixtures/torch')
const names = existsSync(fixtures) ? readdirSync(fixtures).filter((n) => existsSync(join(fixtures, n, 'after_step.safetensors'))) : []
const tmp = mkdtempSync(join(tmpdir(), 'llm-pretrain-cli-'))

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2 }
  return Math.sqrt(num / Math.max(den, 1e-30))
}

describe('llm pretrain: one step through the CLI equals PyTorch', () => {
  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'dist/src/commands/pretrain.js'))) throw new Error('build first: npx tsc -p tsconfig.json')
  })
  it.skipIf(names.length === 0)('fixtures are present', () => expect(names.length).toBeGreaterThanOrEqual(2))
  for (const name of names) {
    it(`${name}: every tensor's update matches to 1e-4 relative L2`, () => {
      const dir = join(fixtures, name)
      const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'))
      const batch = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')) as { input_ids: number[][] }
      const opt = exp.optimizer
      const out = join(tmp, name)
      const r = runCli(['pretrain', '--init', dir, '--data', join(dir, 'tokens.bin'), '--order', 'sequential', '--steps', '1',
        '--schedule', 'constant', '--warmup', '0', '--val-fraction', '0', '--batch-size', String(batch.input_ids.length),
        '--seq-len', String(batch.input_ids[0].length), '--lr', String(opt.lr), '--beta1', String(opt.betas[0]), '--beta2', String(opt.betas[1]),
        '--adam-eps', String(opt.eps), '--weight-decay', String(opt.weight_decay), '--grad-clip', String(opt.grad_clip),
        '--threads', '1', '--out', out, '--json'], { env: { NODE_ENV: 'production' } })
      expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
      const summary = JSON.parse(r.stdout)
      expect(summary.steps).toBe(1)
      expect(Math.abs(summary.train_loss - exp.loss) / exp.loss).toBeLessThan(1e-5)
      const init = readSafetensors(join(dir, 'model.safetensors')).tensors
      const after = readSafetensors(join(dir, 'after_step.safetensors')).tensors
      const saved = readSafetensors(join(out, 'model.safetensors')).tensors
      expect([...saved.keys()].sort()).toEqual([...after.keys()].sort())
      const worst: [string, number][] = []
      for (const [n, t] of after) {
        const w0 = init.get(n)!.data as Float32Array
        const want = (t.data as Float32Array).map((x, i) => x - w0[i])
        const got = (saved.get(n)!.data as Float32Array).map((x, i) => x - w0[i])
        worst.push([n, relL2(got, want)])
      }
      worst.sort((a, b) => b[1] - a[1])
      expect(worst[0][1], `worst tensor ${worst[0][0]}: ${worst[0][1]}`).toBeLessThan(1e-4)
      // and the folder is a model folder: config, generation config, onnx graph, metrics
      for (const f of ['config.json', 'generation_config.json', 'onnx/model.onnx', 'metrics.jsonl', 'checkpoint/state.json']) expect(existsSync(join(out, f)), f).toBe(true)
      const line = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim())
      expect(Math.abs(line.grad_norm - exp.grad_norm) / exp.grad_norm).toBeLessThan(1e-4)
    })
  }
})
