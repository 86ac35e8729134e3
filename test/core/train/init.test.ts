/**
 * `llm pretrain --init` on checkpoints of other families and variants keeps what their
 * config.json says (rope scaling, biases, activation, head_dim, sliding window): the run's output
 * config is the input's, every tensor — biases included — is trained, and the folder generates.
 * (It used to rebuild a plain Llama config and drop rope_scaling, biases and hidden_act.)
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readSafetensors, tensorToFloat32 } from '../../../src/core/safetensors.js'
import { needs, PY, repoRoot, runCli, shared, SHARED, TORCH } from '../../helpers.js'

const root = mkdtempSync(join(tmpdir(), 'llm-init-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

needs(TORCH, SHARED).describe('pretrain --init keeps the family and every config field', () => {
  beforeAll(() => {
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/families/families.py'), root, shared('tools')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
    writeFileSync(join(root, 'data.txt'), 'The little robot said: hello, world. '.repeat(40))
  })

  it.each(['llama-bias', 'gemma', 'mistral-window', 'phi3-partial'])('%s', (name) => {
    const out = join(root, `${name}-run`)
    const r = runCli(['pretrain', '--init', join(root, name), '--data', join(root, 'data.txt'), '--steps', '2', '--seq-len', '32', '--batch-size', '2',
      '--val-fraction', '0', '--threads', '1', '--out', out, '--json'])
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(root, name, 'config.json'), 'utf8')))
    const before = readSafetensors(join(root, name, 'model.safetensors')).tensors
    const after = readSafetensors(join(out, 'model.safetensors')).tensors
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
    const unchanged = [...after].filter(([n, t]) => tensorToFloat32(t).every((x, i) => x === tensorToFloat32(before.get(n)!)[i])).map(([n]) => n)
    expect(unchanged, 'tensors no step changed').toEqual([])
    const g = runCli(['generate', '-m', out, '--temperature', '0', '-n', '5', 'The little'])
    expect(g.stderr + `exit ${g.code}`).toMatch(/exit 0$/)
  })

  it.each(['llama', 'qwen2', 'mistral', 'phi3', 'gemma'])('finetune --method lora on %s: PEFT\'s default targets, an adapter that runs unmerged', (name) => {
    writeFileSync(join(root, 'text.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: `The little robot said: hello number ${i}.` })).join('\n') + '\n')
    const out = join(root, `${name}-lora`)
    const r = runCli(['finetune', '--model', join(root, name), '--data', join(root, 'text.jsonl'), '--steps', '2', '--seq-len', '64', '--batch-size', '2',
      '--val-fraction', '0', '--threads', '1', '--out', out, '--json'])
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))
    expect(cfg.target_modules).toEqual(name === 'phi3' ? ['qkv_proj'] : ['q_proj', 'v_proj'])
    const g = runCli(['generate', '-m', join(root, name), '--adapter', out, '--temperature', '0', '-n', '5', 'The little'])
    expect(g.stderr + `exit ${g.code}`).toMatch(/exit 0$/)
  })
})
