import { describe, it, expect, beforeAll } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { readSafetensors } from '../../../src/core/safetensors.js'
import { repoRoot, runCli } from '../../helpers.js'

// Resume exactness: an interrupted-then-resumed run must end with the same bits as an
// uninterrupted one (weights, AdamW moments, metrics). Small model, random order, cosine
// schedule with warm-up, gradient accumulation and validation, so every piece of run state
// (RNG, data position, optimizer step, schedule) has to be checkpointed for this to hold.
const tmp = mkdtempSync(join(tmpdir(), 'llm-resume-'))
const data = join(tmp, 'data.txt')
const env = { NODE_ENV: 'production' } // the built CLI (dist), as users run it
const common = (out: string, steps: number) => ['pretrain', '--data', data, '--tokenizer', 'char', '--layers', '2', '--dim', '32', '--heads', '2',
  '--seq-len', '16', '--batch-size', '4', '--grad-accum', '2', '--steps', String(steps), '--warmup', '5', '--eval-every', '10', '--eval-steps', '2',
  '--checkpoint-every', '7', '--threads', '1', '--seed', '5', '--out', out]

function tensors(file: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const [n, t] of readSafetensors(file).tensors) out.set(n, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))
  return out
}
function expectSameBits(a: string, b: string) {
  for (const f of ['model.safetensors', 'checkpoint/optimizer.safetensors']) {
    const ta = tensors(join(a, f)), tb = tensors(join(b, f))
    expect([...tb.keys()]).toEqual([...ta.keys()])
    const differ = [...ta].filter(([n, buf]) => !buf.equals(tb.get(n)!)).map(([n]) => n)
    expect(differ, `${f}: tensors that differ`).toEqual([])
  }
  const strip = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { tokens_per_second: _, ...rest } = JSON.parse(l)
    return rest
  })
  expect(strip(b)).toEqual(strip(a))
}

describe('pretrain --resume is exact; Ctrl-C saves and exits 130', () => {
  const full = join(tmp, 'full')
  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'dist/src/commands/pretrain.js'))) throw new Error('build first: npx tsc -p tsconfig.json')
    // deterministic pseudo-text: words from a small vocabulary
    const words = ['the', 'king', 'and', 'queen', 'of', 'a', 'storm', 'night', 'speak', 'now', 'good', 'lord']
    let x = 7, text = ''
    for (let i = 0; i < 6000; i++) { x = (x * 1103515245 + 12345) % 2147483648; text += words[x % words.length] + (i % 11 === 10 ? '.\n' : ' ') }
    writeFileSync(data, text)
    const r = runCli(common(full, 40), { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
  })

  it('stopped at step 13 (between checkpoints) and resumed: bit-for-bit the uninterrupted run', () => {
    const out = join(tmp, 'stopped')
    const a = runCli([...common(out, 40), '--stop-at', '13'], { env })
    expect(a.code).toBe(130)
    expect(JSON.parse(readFileSync(join(out, 'checkpoint/state.json'), 'utf8')).step).toBe(13)
    const b = runCli(['pretrain', '--out', out, '--resume', '--json'], { env })
    expect(b.stderr + `exit ${b.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(b.stdout).steps).toBe(40)
    expect(b.stderr).toMatch(/resuming .* at step 13 of 40/)
    expectSameBits(full, out)
  })

  it('Ctrl-C (SIGINT) mid-run: checkpoint saved, exit 130, resume gives the same bits', async () => {
    const out = join(tmp, 'sigint')
    const child = spawn(process.execPath, [resolve(repoRoot, 'bin/run.js'), ...common(out, 40), '--progress', 'jsonl'],
      { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let sent = false
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (!sent && /"event":"progress".*"step":2,/.test(stderr)) { sent = true; child.kill('SIGINT') }
    })
    const code = await new Promise<number | null>((res) => child.on('close', res))
    expect(sent).toBe(true)
    expect(code, stderr).toBe(130)
    const stopped = JSON.parse(readFileSync(join(out, 'checkpoint/state.json'), 'utf8')).step
    expect(stopped).toBeGreaterThanOrEqual(2)
    expect(stopped).toBeLessThan(40)
    expect(stderr).toMatch(/checkpoint saved; continue with: llm pretrain --out .* --resume/)
    const b = runCli(['pretrain', '--out', out, '--resume'], { env })
    expect(b.stderr + `exit ${b.code}`).toMatch(/exit 0$/)
    expectSameBits(full, out)
  })

  it('a run folder is not overwritten by accident; resuming a finished run asks for more steps', () => {
    const r = runCli(common(full, 40), { env })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/already holds a training run.*--resume/)
    const s = runCli(['pretrain', '--out', full, '--resume'], { env })
    expect(s.code).toBe(2)
    expect(s.stderr).toMatch(/already at step 40/)
  })

  it('stopped before the first step (a Ctrl-C while loading): exit 130, nothing saved, and it does not say it saved', () => {
    const out = join(tmp, 'early')
    const r = runCli([...common(out, 40), '--stop-at', '0'], { env })
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/stopped before the first step: nothing was saved/)
    expect(r.stderr).not.toMatch(/checkpoint saved/)
    expect(existsSync(join(out, 'checkpoint'))).toBe(false)
  })
})
