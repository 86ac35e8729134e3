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
  // committed fixtures: missing ones fail everywhere (this test used to skip exactly when it would fail)
  it('fixtures are present', () => expect(names.length, `PyTorch fixtures under ${fixtures}`).toBeGreaterThanOrEqual(2))
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

describe('llm pretrain on text: folder contents, config file, errors', () => {
  const env = { NODE_ENV: 'production' }
  it('char tokenizer + YAML config: tokenizer.json loads in HF tokenizers with the ids training used; flags beat the file', async () => {
    const { writeFileSync } = await import('node:fs')
    const { Tokenizer: RustTokenizer } = await import('tokenizers')
    const data = join(tmp, 'text.txt')
    writeFileSync(data, 'To be, or not to be: that is the question.\n'.repeat(40))
    const cfg = join(tmp, 'run.yaml')
    writeFileSync(cfg, `data: ${data}\ntokenizer: char\nlayers: 1\ndim: 16\nheads: 2\nseq-len: 8\nbatch-size: 2\nsteps: 50\neval-every: 0\n`)
    const out = join(tmp, 'text-run')
    const r = runCli(['pretrain', '--config', cfg, '--steps', '3', '--sample-every', '3', '--out', out, '--json'], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(r.stdout)).toMatchObject({ steps: 3, out }) // --steps 3 beat steps: 50
    expect(r.stderr).toMatch(/sample at step 3 \(greedy\): "/)
    const hf = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(hf).toMatchObject({ model_type: 'llama', num_hidden_layers: 1, hidden_size: 16, vocab_size: 18 }) // distinct characters of the text
    const ref = RustTokenizer.fromFile(join(out, 'tokenizer.json'))
    const enc = await ref.encode('To be: the question')
    const cached = readdirSync(join(out, '.cache')).filter((f) => f.startsWith('tokens-'))
    expect(cached.length).toBe(1)
    const { readTokenFile } = await import('../../src/core/data/tokens-file.js')
    const tokens = readTokenFile(join(out, '.cache', cached[0]))
    expect(await ref.decode(Array.from(tokens.subarray(0, 12)), false)).toBe('To be, or no')
    expect(enc.getIds().length).toBe('To be: the question'.length)
    expect(existsSync(join(out, 'tokenizer_config.json'))).toBe(true)
    // --tokenizer PATH: the saved tokenizer.json, read by our Hugging Face loader, tokenizes the data identically
    const out2 = join(tmp, 'text-run-2')
    const r2 = runCli(['pretrain', '--config', cfg, '--tokenizer', join(out, 'tokenizer.json'), '--steps', '1', '--out', out2], { env })
    expect(r2.stderr + `exit ${r2.code}`).toMatch(/exit 0$/)
    const again = readTokenFile(join(out2, '.cache', readdirSync(join(out2, '.cache')).find((f) => f.startsWith('tokens-'))!))
    expect(Buffer.from(again.buffer).equals(Buffer.from(tokens.buffer))).toBe(true)
  })
  it('a malformed token file is one line naming it (exit 1); a bad flag value is a usage error (exit 2)', async () => {
    const { writeFileSync } = await import('node:fs')
    const bad = join(tmp, 'bad.bin')
    writeFileSync(bad, Buffer.alloc(2000, 7))
    const r = runCli(['pretrain', '--data', bad, '--out', join(tmp, 'bad-run')], { env })
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`${bad}: bad token file header`)
    const u = runCli(['pretrain', '--data', bad, '--out', join(tmp, 'bad-run'), '--lr', 'fast'], { env })
    expect(u.code).toBe(2)
    expect(u.stderr).toMatch(/--lr/)
  })
})
