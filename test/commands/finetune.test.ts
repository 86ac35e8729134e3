/**
 * `llm finetune` through the CLI: one LoRA step and one full step equal PyTorch
 * (shared/tools/lora_reference.py, test/fixtures/finetune/full_step.py), merge equals
 * W + scaling·B@A, a merged folder and `-m BASE --adapter` generate the same text, resume is
 * exact, it learns, and bad input is one line naming file and line.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSafetensors, tensorToFloat32 } from '../../src/core/safetensors.js'
import { needs, PY, repoRoot, runCli, shared, SHARED, TORCH } from '../helpers.js'

const root = mkdtempSync(join(tmpdir(), 'llm-finetune-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const env = { NODE_ENV: 'production' }

/** ‖(a − base) − (b − base)‖ / ‖b − base‖ per tensor of b; without base: ‖a − b‖ / ‖b‖ */
function changeErrors(a: string, b: string, base?: string): Map<string, number> {
  const A = readSafetensors(a).tensors, B = readSafetensors(b).tensors, Z = base ? readSafetensors(base).tensors : undefined
  const errors = new Map<string, number>()
  for (const [n, t] of B) {
    const x = A.get(n)
    if (!x) throw new Error(`${a}: no tensor ${n}`)
    const p = tensorToFloat32(x), q = tensorToFloat32(t), z = Z ? tensorToFloat32(Z.get(n)!) : undefined
    let num = 0, den = 0
    for (let i = 0; i < q.length; i++) {
      const want = z ? q[i] - z[i] : q[i], got = z ? p[i] - z[i] : p[i]
      num += (got - want) ** 2
      den += want ** 2
    }
    errors.set(n, Math.sqrt(num / den))
  }
  return errors
}

function worstChange(a: string, b: string, base?: string): { worst: number; name: string; count: number } {
  let worst = 0, name = ''
  const errors = changeErrors(a, b, base)
  for (const [n, e] of errors) if (!(e <= worst)) { worst = e; name = n }
  return { worst, name, count: errors.size }
}

const stepFlags = (o: { lr: number; eps: number; wd: number; clip: number }) => ['--steps', '1', '--batch-size', '4', '--seq-len', '24', '--order', 'sequential',
  '--lr', String(o.lr), '--schedule', 'constant', '--warmup', '0', '--beta1', '0.9', '--beta2', '0.999', '--adam-eps', String(o.eps),
  '--weight-decay', String(o.wd), '--grad-clip', String(o.clip), '--val-fraction', '0', '--threads', '1']

needs(TORCH, SHARED).describe('llm finetune vs PyTorch', () => {
  const cases = {
    // q_proj,v_proj on an untied GQA base (4 heads, 2 KV heads)
    default: { args: [], o: { lr: 1e-3, eps: 1e-8, wd: 0, clip: 1 } },
    // every linear module, tied embeddings, rsLoRA, active clipping and weight decay
    'all-linear': { args: ['--targets', 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj', '--tie', '--rslora', '--r', '8', '--alpha', '16', '--wd', '0.1', '--grad-clip', '0.05'], o: { lr: 1e-3, eps: 1e-8, wd: 0.1, clip: 0.05 } },
    // multi-head attention, another subset, a larger eps
    mha: { args: ['--kv-heads', '4', '--targets', 'q_proj,k_proj,o_proj,down_proj', '--adam-eps', '1e-6', '--wd', '0.05', '--lr', '3e-3'], o: { lr: 3e-3, eps: 1e-6, wd: 0.05, clip: 1 } },
  }
  beforeAll(() => {
    for (const [name, c] of Object.entries(cases)) {
      const r = spawnSync(PY, [shared('tools/lora_reference.py'), join(root, name), ...c.args], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(r.stderr)
      // the same step in float64: the exact answer both float32 steps are measured against
      const f = spawnSync(PY, [join(repoRoot, 'test/fixtures/finetune/lora_f64.py'), join(root, name), shared('tools'),
        '--lr', String(c.o.lr), '--wd', String(c.o.wd), '--grad-clip', String(c.o.clip), '--adam-eps', String(c.o.eps)], { encoding: 'utf8' })
      if (f.status !== 0) throw new Error(f.stderr)
    }
  })

  // Adam's first step is lr·g/(|g| + eps): with eps 1e-8 and a clipped gradient, float32 summation
  // order alone moves a tensor's change by up to ~1e-4 of itself (on all-linear's layer-0 up_proj
  // lora_B, PyTorch's float32 step is 6.4e-5 from float64 and ours 7.8e-5, in different directions:
  // 1.4e-4 apart, on an AVX-512 EPYC). So every tensor's change is held to the float64 step: within
  // 1e-4, or within twice PyTorch's own float32 error on that tensor (most are ~5e-6 for both).
  it.each(Object.keys(cases))('%s: one LoRA step changes every lora_A/lora_B as PyTorch does (≤ 1e-4 relative to the float64 step, or ≤ 2× PyTorch float32\'s error)', (name) => {
    const c = cases[name as keyof typeof cases]
    const ref = join(root, name)
    const out = join(root, `${name}-out`)
    const r = runCli(['finetune', '--model', join(ref, 'base'), '--data', join(ref, 'data.jsonl'), '--format', 'tokenized', '--adapter', join(ref, 'adapter_init'),
      ...stepFlags(c.o), '--out', out, '--json'], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    const exp = JSON.parse(readFileSync(join(ref, 'expected/expected.json'), 'utf8'))
    expect(Math.abs(JSON.parse(r.stdout).train_loss - exp.loss) / exp.loss).toBeLessThan(1e-5)
    const init = join(ref, 'adapter_init/adapter_model.safetensors'), exact = join(ref, 'expected/adapter_after_step_f64.safetensors')
    const ours = changeErrors(join(out, 'adapter_model.safetensors'), exact, init)
    const torch32 = changeErrors(join(ref, 'expected/adapter_after_step.safetensors'), exact, init)
    expect(ours.size).toBeGreaterThan(0)
    expect(ours.size).toBe(torch32.size)
    for (const [n, e] of ours) {
      expect(e, `${n}: relative L2 of the change against float64 (PyTorch float32: ${torch32.get(n)})`).toBeLessThan(Math.max(1e-4, 2 * torch32.get(n)!))
    }
    // and the two float32 steps agree with each other as closely as their errors allow
    const d = worstChange(join(out, 'adapter_model.safetensors'), join(ref, 'expected/adapter_after_step.safetensors'), init)
    expect(d.worst, `${d.name}: relative L2 of the change against PyTorch float32`).toBeLessThan(5e-4)
    // PEFT's file format
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))
    expect(Object.keys(cfg)).toEqual(Object.keys(cfg).sort())
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: exp.lora.r, lora_alpha: exp.lora.alpha, use_rslora: exp.lora.rslora, target_modules: [...exp.lora.targets].sort() })
    expect(Number.isInteger(cfg.lora_alpha)).toBe(true)
    const st = readSafetensors(join(out, 'adapter_model.safetensors'))
    expect(st.metadata).toEqual({ format: 'pt' })
    expect([...st.tensors.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')
  })

  it('merge: W + scaling·B@A, as the reference merges the same adapter (≤ 1e-5 relative)', () => {
    const ref = join(root, 'all-linear')
    const adapter = join(root, 'after-step-adapter')
    cpSync(join(ref, 'adapter_init'), adapter, { recursive: true })
    cpSync(join(ref, 'expected/adapter_after_step.safetensors'), join(adapter, 'adapter_model.safetensors'))
    const out = join(root, 'merged')
    const r = runCli(['finetune', 'merge', '--model', join(ref, 'base'), '--adapter', adapter, '--out', out, '--json'], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(r.stdout).merged_modules).toBe(14)
    const d = worstChange(join(out, 'model.safetensors'), join(ref, 'expected/merged.safetensors'))
    expect(d.worst, `${d.name}`).toBeLessThan(1e-5)
    expect(existsSync(join(out, 'onnx/model.onnx'))).toBe(true)
  })

  it('full fine-tuning: one step changes every weight as PyTorch does', () => {
    const ref = join(root, 'default')
    // eps 1e-6: Adam's first step is ~lr·sign(g); at 1e-8 a weight whose gradient is ~1e-9 flips sign on float noise
    const o = { lr: 1e-3, eps: 1e-6, wd: 0.1, clip: 1 }
    const p = spawnSync(PY, [join(repoRoot, 'test/fixtures/finetune/full_step.py'), ref, shared('tools'), '--lr', '1e-3', '--wd', '0.1', '--adam-eps', '1e-6'], { encoding: 'utf8' })
    expect(p.stderr).toBe('')
    const out = join(root, 'full-out')
    const r = runCli(['finetune', '--model', join(ref, 'base'), '--data', join(ref, 'data.jsonl'), '--format', 'tokenized', '--method', 'full', ...stepFlags(o), '--out', out, '--json'], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    const exp = JSON.parse(readFileSync(join(ref, 'expected/full_expected.json'), 'utf8'))
    expect(Math.abs(JSON.parse(r.stdout).train_loss - exp.loss) / exp.loss).toBeLessThan(1e-5)
    const d = worstChange(join(out, 'model.safetensors'), join(ref, 'expected/full_after_step.safetensors'), join(ref, 'base/model.safetensors'))
    expect(d.worst, `${d.name}: relative L2 of the change`).toBeLessThan(1e-4)
    expect(existsSync(join(out, 'onnx/model.onnx'))).toBe(true)
  })
})

needs(SHARED).describe('llm finetune on the bundled model', () => {
  const base = join(repoRoot, 'models/default')
  const words = ['crown', 'sword', 'heart', 'night', 'queen', 'ghost', 'storm', 'honour', 'blood', 'grave']
  const data = join(root, 'say.jsonl')
  beforeAll(() => {
    // a small instruction set: repeat the word after the cue
    const lines: string[] = []
    for (let i = 0; i < 60; i++) {
      const w = words[i % words.length]
      lines.push(JSON.stringify({ prompt: `ROMEO:\nSay ${w}.\nJULIET:\n`, completion: `${w.toUpperCase()}, ${w}!\n` }))
    }
    writeFileSync(data, lines.join('\n') + '\n')
  })

  it('LoRA learns a small instruction set: the validation loss drops clearly', () => {
    const out = join(root, 'say-lora')
    const r = runCli(['finetune', '--model', base, '--data', data, '--lora-targets', 'all-linear', '--lora-r', '8', '--steps', '40', '--lr', '5e-3',
      '--batch-size', '4', '--seq-len', '128', '--val-fraction', '0.2', '--eval-every', '1', '--eval-steps', '4', '--threads', '1', '--out', out, '--json'], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    const vals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).val_loss as number)
    expect(vals[vals.length - 1], `val loss ${vals[0]} → ${vals[vals.length - 1]}`).toBeLessThan(vals[0] * 0.5)
    // the adapter runs unmerged (-m BASE --adapter) and merged, with the same greedy text
    const prompt = 'ROMEO:\nSay crown.\nJULIET:\n'
    const a = runCli(['generate', '-m', base, '--adapter', out, '--temperature', '0', '-n', '16', prompt], { env })
    expect(a.stderr + `exit ${a.code}`).toMatch(/exit 0$/)
    expect(runCli(['finetune', 'merge', '--model', base, '--adapter', out, '--out', join(root, 'say-merged')], { env }).code).toBe(0)
    const m = runCli(['generate', '-m', join(root, 'say-merged'), '--temperature', '0', '-n', '16', prompt], { env })
    expect(m.stdout).toBe(a.stdout)
    // the base model answers in Shakespeare; the adapted one in the taught form
    expect(a.stdout).toMatch(/^[A-Z]+, [a-z]+!/)
  })

  it('continued pretraining (--format text, full) lowers the perplexity of the new domain, measured by llm eval', () => {
    // a new domain for a Shakespeare model: modern encyclopaedia prose, in the characters its tokenizer knows
    const vocab = new Set(Object.keys(JSON.parse(readFileSync(join(base, 'tokenizer.json'), 'utf8')).model.vocab))
    const text = readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8').slice(0, 40000).split('').map((c) => (vocab.has(c) ? c : ' ')).join('')
    const chunks = Array.from({ length: Math.floor(text.length / 240) }, (_, i) => text.slice(i * 240, (i + 1) * 240))
    writeFileSync(join(root, 'wiki.jsonl'), chunks.slice(0, -12).map((c) => JSON.stringify({ text: c })).join('\n') + '\n')
    writeFileSync(join(root, 'wiki-held.jsonl'), JSON.stringify({ text: chunks.slice(-12).join('') }) + '\n')
    const out = join(root, 'wiki-cpt')
    const r = runCli(['finetune', '--model', base, '--data', join(root, 'wiki.jsonl'), '--method', 'full', '--steps', '60', '--lr', '2e-3',
      '--batch-size', '4', '--seq-len', '256', '--val-fraction', '0', '--threads', '1', '--out', out, '--json'], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    const ppl = (model: string) => {
      const e = runCli(['eval', join(root, 'wiki-held.jsonl'), '--format', 'perplexity', '-m', model, '--json'], { env })
      expect(e.stderr + `exit ${e.code}`).toMatch(/exit 0$/)
      return JSON.parse(e.stdout).results['wiki-held']['word_perplexity,none'] as number
    }
    const before = ppl(base), after = ppl(out)
    expect(typeof before).toBe('number')
    expect(after, `word perplexity ${before} → ${after}`).toBeLessThan(before * 0.8)
  })

  it('--resume after an interruption ends bit-for-bit like the uninterrupted run; Ctrl-C before any step saves nothing', () => {
    const common = ['finetune', '--model', base, '--data', data, '--steps', '12', '--batch-size', '2', '--seq-len', '96', '--eval-every', '4', '--eval-steps', '2', '--checkpoint-every', '5', '--threads', '1', '--seed', '3']
    const full = join(root, 'resume-full')
    expect(runCli([...common, '--out', full], { env }).code).toBe(0)
    const cut = join(root, 'resume-cut')
    expect(runCli([...common, '--out', cut, '--stop-at', '7'], { env }).code).toBe(130)
    const b = runCli(['finetune', '--out', cut, '--resume', '--json'], { env })
    expect(b.stderr + `exit ${b.code}`).toMatch(/exit 0$/)
    expect(b.stderr).toMatch(/resuming .* at step 7 of 12/)
    const bytes = (f: string) => readFileSync(f)
    expect(bytes(join(cut, 'adapter_model.safetensors')).equals(bytes(join(full, 'adapter_model.safetensors')))).toBe(true)
    expect(bytes(join(cut, 'checkpoint/optimizer.safetensors')).equals(bytes(join(full, 'checkpoint/optimizer.safetensors')))).toBe(true)
    // stopped before the first step (what a Ctrl-C during start-up does): exit 130, and it does not claim a checkpoint
    const early = runCli([...common, '--out', join(root, 'resume-early'), '--stop-at', '0'], { env })
    expect(early.code).toBe(130)
    expect(early.stderr).toMatch(/stopped before the first step: nothing was saved/)
    expect(early.stderr).not.toMatch(/checkpoint saved/)
    expect(existsSync(join(root, 'resume-early', 'checkpoint'))).toBe(false)
  })

  it('--dry-run marks the trained tokens and trains nothing', () => {
    const r = runCli(['finetune', '--model', base, '--data', data, '--dry-run', '--out', join(root, 'dry')], { env })
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    expect(r.stdout).toMatch(/JULIET:\n\[\[[A-Z]+, [a-z]+!\n<\/s>\]\]|JULIET:\n\[\[[A-Z]+, [a-z]+!\n/)
    expect(r.stderr).toMatch(/prompt-completion records \(detected\)/)
    expect(existsSync(join(root, 'dry'))).toBe(false)
  })

  describe('bad input: one line naming the file and line', () => {
    const run = (args: string[]) => runCli(['finetune', '--model', base, ...args, '--out', join(root, `bad-${Math.random().toString(36).slice(2)}`)], { env })
    const oneLine = (r: { stderr: string; code: number }, code: number, re: RegExp) => {
      expect(r.code).toBe(code)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(re)
    }
    it('unknown format, and records no format fits', () => {
      oneLine(run(['--data', data, '--format', 'csv']), 2, /--format/)
      const f = join(root, 'odd.jsonl')
      writeFileSync(f, '{"question": "a", "answer": "b"}\n')
      oneLine(run(['--data', f]), 1, /odd\.jsonl:1: cannot tell the record format \(hint: pass --format/)
    })
    it('a record missing its fields, naming the line', () => {
      const f = join(root, 'missing.jsonl')
      writeFileSync(f, '{"prompt": "a", "completion": "b"}\n{"prompt": "c"}\n')
      oneLine(run(['--data', f, '--format', 'prompt-completion']), 1, /missing\.jsonl:2: "completion" is missing or not a string/)
    })
    it('chat data for a model without a chat template; a sample with nothing to train', () => {
      const f = join(root, 'chat.jsonl')
      writeFileSync(f, '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ho"}]}\n')
      oneLine(run(['--data', f]), 1, /chat\.jsonl:1: the base model has no chat template/)
      const g = join(root, 'empty.jsonl')
      writeFileSync(g, '{"prompt": "ROMEO:", "completion": "a"}\n{"input_ids": [1, 2, 3], "labels": [-100, -100, -100]}\n')
      oneLine(run(['--data', g, '--format', 'tokenized']), 1, /empty\.jsonl:1: "input_ids" must be an array|empty\.jsonl:2: this sample has no trained token/)
    })
    it('a sample longer than --seq-len (default error), a target module the model lacks', () => {
      oneLine(run(['--data', data, '--seq-len', '16']), 1, /say\.jsonl:1: sample of \d+ tokens is longer than --seq-len 16/)
      oneLine(run(['--data', data, '--lora-targets', 'q_proj,query']), 2, /--lora-targets: this llama model has no module 'query' \(hint: its linear modules: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj/)
    })
    needs(TORCH).it('an adapter trained on a base of another shape', () => {
      const other = join(root, 'other-base')
      if (!existsSync(other)) expect(spawnSync(PY, [shared('tools/lora_reference.py'), other], { encoding: 'utf8' }).status).toBe(0)
      oneLine(run(['--data', data, '--adapter', join(other, 'adapter_init')]), 1, /adapter_model\.safetensors: tensor 'base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight' has shape \[4,64\], the base model needs \[4,128\]/)
    })
  })
})
