/**
 * `llm convert --from hf` end to end on every family (tiny random folders with greedy margins,
 * test/fixtures/families/families.py): the converted folder runs in `llm generate` and in
 * transformers.js with the PyTorch reference's greedy ids; a folder with safetensors and no graph
 * runs too; sharded and half-precision checkpoints convert; bad input is one line naming the file.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { float32ToBf16, readSafetensors, tensorToFloat32, writeSafetensors, type SafeTensor } from '../../src/core/safetensors.js'
import { needs, PY, repoRoot, runCli, runCliAsync, shared, SHARED, TORCH } from '../helpers.js'
import { startHubServer } from '../core/store/hub-server.js'

const FAMILIES = ['llama', 'qwen2', 'mistral', 'phi3', 'gemma']
const root = mkdtempSync(join(tmpdir(), 'llm-convert-hf-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const expected = (name: string): { prompt_ids: number[]; greedy_ids: number[] } => JSON.parse(readFileSync(join(root, `${name}.json`), 'utf8'))
const PROMPT = 'The little robot said: '

needs(TORCH, SHARED).describe('llm convert --from hf', () => {
  beforeAll(() => {
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/families/families.py'), root, shared('tools')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  })

  it.each(FAMILIES)('%s: convert, then `llm generate --temperature 0` gives the reference greedy text', (name) => {
    const out = join(root, `${name}-onnx`)
    const c = runCli(['convert', join(root, name), '--out', out, '--json'])
    expect(c.stderr + `exit ${c.code}`).toMatch(/exit 0$/)
    const j = JSON.parse(c.stdout)
    expect(j).toMatchObject({ from: 'hf', family: name })
    expect(j.files.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'onnx/model.onnx']))
    // weights are hard-linked, not copied
    expect(statSync(join(out, 'model.safetensors')).ino).toBe(statSync(join(root, name, 'model.safetensors')).ino)
    const e = expected(name)
    const g = runCli(['generate', '-m', out, '--temperature', '0', '-n', String(e.greedy_ids.length), '--json', PROMPT])
    expect(g.stderr + `exit ${g.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(g.stdout).ids).toEqual(e.greedy_ids)
  })

  it('a folder with safetensors and no graph runs directly (the graph is built in memory, and it says so)', () => {
    const e = expected('gemma')
    const g = runCli(['generate', '-m', join(root, 'gemma'), '--temperature', '0', '-n', String(e.greedy_ids.length), '--json', PROMPT])
    expect(g.stderr + `exit ${g.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(g.stdout).ids).toEqual(e.greedy_ids)
    expect(g.stderr).toMatch(/no ONNX graph in .*gemma: built it from the safetensors in memory .*llm convert/)
  })

  it.each(FAMILIES)('%s: transformers.js loads the converted folder and its greedy ids are the reference ones', async (name) => {
    const out = join(root, `${name}-onnx`)
    if (!existsSync(out)) expect(runCli(['convert', join(root, name), '--out', out]).code).toBe(0)
    const tjs = await import('@huggingface/transformers')
    tjs.env.allowRemoteModels = false
    tjs.env.allowLocalModels = true
    tjs.env.localModelPath = root + '/'
    const model = await tjs.AutoModelForCausalLM.from_pretrained(`${name}-onnx`, { local_files_only: true, dtype: 'fp32' })
    const e = expected(name)
    const input = new tjs.Tensor('int64', BigInt64Array.from(e.prompt_ids.map(BigInt)), [1, e.prompt_ids.length])
    const gen = (await model.generate({ input_ids: input, max_new_tokens: e.greedy_ids.length, do_sample: false })) as { tolist(): bigint[][] }
    expect(gen.tolist()[0].map(Number).slice(e.prompt_ids.length)).toEqual(e.greedy_ids)
    await model.dispose()
  })

  it('sharded BF16 checkpoint (model.safetensors.index.json) converts and runs', () => {
    const src = join(root, 'llama')
    const dir = join(root, 'llama-sharded')
    cpSync(src, dir, { recursive: true })
    rmSync(join(dir, 'model.safetensors'))
    const tensors = [...readSafetensors(join(src, 'model.safetensors')).tensors]
    const half = Math.ceil(tensors.length / 2)
    const shards = [tensors.slice(0, half), tensors.slice(half)]
    const weightMap: Record<string, string> = {}
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`
      const m = new Map<string, SafeTensor>(part.map(([n, t]) => [n, { dtype: 'BF16', shape: t.shape, data: float32ToBf16(t.data as Float32Array) }]))
      writeSafetensors(join(dir, file), m, { format: 'pt' })
      for (const [n] of part) weightMap[n] = file
    })
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }))
    const r = runCli(['convert', dir, '--out', join(root, 'llama-sharded-onnx'), '--json'])
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    expect(JSON.parse(r.stdout).format).toMatch(/BF16/)
    const g = runCli(['generate', '-m', join(root, 'llama-sharded-onnx'), '--temperature', '0', '-n', '4', '--json', PROMPT])
    expect(g.code).toBe(0)
  })

  it('--outtype f16 stores safetensors and graph weights as float16 (each value the nearest half) and still runs', () => {
    const src = join(root, 'llama')
    const out = join(root, 'llama-f16')
    const r = runCli(['convert', src, '--out', out, '--outtype', 'f16', '--json'])
    expect(r.stderr + `exit ${r.code}`).toMatch(/exit 0$/)
    const a = readSafetensors(join(src, 'model.safetensors'))
    const b = readSafetensors(join(out, 'model.safetensors'))
    expect(b.metadata).toEqual(a.metadata)
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()])
    for (const [name, t] of a.tensors) {
      const h = b.tensors.get(name)!
      expect(h.dtype).toBe('F16')
      expect(h.shape).toEqual(t.shape)
      // rounding to the nearest half is off by at most half an ulp: 2^-11 relative (2^-25 absolute for subnormals)
      const wide = tensorToFloat32(h)
      const x = t.data as Float32Array
      for (let i = 0; i < x.length; i += 97) expect(Math.abs(wide[i] - x[i])).toBeLessThanOrEqual(Math.max(Math.abs(x[i]) * 2 ** -11, 2 ** -25))
    }
    expect(statSync(join(out, 'model.safetensors')).size).toBeLessThan(statSync(join(src, 'model.safetensors')).size * 0.55)
    const g = runCli(['generate', '-m', out, '--temperature', '0', '-n', '4', '--json', PROMPT])
    expect(g.stderr + `exit ${g.code}`).toMatch(/exit 0$/)
  })

  it('models pull of a repository that holds only safetensors, then generate and convert from the store', async () => {
    const hub = await startHubServer({ 'test-owner/tiny-qwen2': { dir: join(root, 'qwen2') } })
    const env = { LLM_HOME: join(root, 'home'), HF_ENDPOINT: hub.url }
    try {
      const p = await runCliAsync(['models', 'pull', 'test-owner/tiny-qwen2'], env)
      expect(p.stderr + `exit ${p.code}`).toMatch(/exit 0$/)
      const e = expected('qwen2')
      const g = await runCliAsync(['generate', '-m', 'test-owner/tiny-qwen2', '--temperature', '0', '-n', String(e.greedy_ids.length), '--json', PROMPT], env)
      expect(g.stderr + `exit ${g.code}`).toMatch(/exit 0$/)
      expect(JSON.parse(g.stdout).ids).toEqual(e.greedy_ids)
      const stored = join(root, 'home', 'models', 'test-owner--tiny-qwen2')
      const c = await runCliAsync(['convert', stored, '--out', stored], env)
      expect(c.stderr + `exit ${c.code}`).toMatch(/exit 0$/)
      expect(existsSync(join(stored, 'onnx/model.onnx'))).toBe(true)
      const again = await runCliAsync(['generate', '-m', 'tiny-qwen2', '--temperature', '0', '-n', '4', '--json', PROMPT], env)
      expect(again.stderr).not.toMatch(/built it from the safetensors/)
      expect(JSON.parse(again.stdout).ids).toEqual(e.greedy_ids.slice(0, 4))
    } finally {
      await hub.close()
    }
  })

  describe('bad input: one line naming file and field', () => {
    const broken = (name: string, edit: (dir: string) => void): string => {
      const dir = join(root, `bad-${name}`)
      cpSync(join(root, 'qwen2'), dir, { recursive: true })
      edit(dir)
      return dir
    }
    const fails = (dir: string) => {
      const r = runCli(['convert', dir, '--out', join(dir, '..', `${dir.split('/').pop()}-out`)])
      expect(r.code).toBe(1)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(existsSync(join(dir, '..', `${dir.split('/').pop()}-out`))).toBe(false)
      return r.stderr
    }
    const cfg = (dir: string, patch: Record<string, unknown>) => {
      const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...c, ...patch }))
    }
    it('unknown model_type', () => {
      expect(fails(broken('type', (d) => cfg(d, { model_type: 'mamba' })))).toMatch(/config\.json: 'model_type' "mamba" is not a supported family \(hint: supported: llama, mistral, qwen2, phi3, gemma\)/)
    })
    it('an activation or rope scaling we lack', () => {
      expect(fails(broken('act', (d) => cfg(d, { hidden_act: 'relu' })))).toMatch(/config\.json: 'hidden_act' "relu" is not supported/)
      expect(fails(broken('rope', (d) => cfg(d, { rope_scaling: { type: 'longrope', long_factor: [], short_factor: [] } })))).toMatch(/'rope_scaling' type "longrope" is not supported/)
    })
    it('a tensor of the wrong shape, or one the config has no slot for', () => {
      expect(fails(broken('shape', (d) => cfg(d, { intermediate_size: 96 })))).toMatch(/model\.safetensors: tensor 'model\.layers\.0\.mlp\.gate_proj\.weight' has shape \[128,64\], config\.json implies \[96,64\]/)
      expect(fails(broken('extra', (d) => {
        const t = new Map(readSafetensors(join(d, 'model.safetensors')).tensors)
        t.set('model.layers.0.self_attn.o_proj.bias', { dtype: 'F32', shape: [64], data: new Float32Array(64) })
        writeSafetensors(join(d, 'model.safetensors'), t)
      }))).toMatch(/tensor 'model\.layers\.0\.self_attn\.o_proj\.bias' has no place in a qwen2 model/)
    })
    it('a truncated safetensors file', () => {
      expect(fails(broken('trunc', (d) => truncateSync(join(d, 'model.safetensors'), statSync(join(d, 'model.safetensors')).size - 100)))).toMatch(/model\.safetensors: corrupt safetensors file: tensors cover \d+ data bytes but the file holds \d+/)
    })
    it('a shard missing from the folder', () => {
      const dir = broken('shard', (d) => {
        const t = readSafetensors(join(d, 'model.safetensors')).tensors
        copyFileSync(join(d, 'model.safetensors'), join(d, 'model-00001-of-00002.safetensors'))
        rmSync(join(d, 'model.safetensors'))
        const weight_map = Object.fromEntries([...t.keys()].map((n, i) => [n, i % 2 ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors']))
        writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map }))
      })
      expect(fails(dir)).toMatch(/model\.safetensors\.index\.json: shard 'model-00002-of-00002\.safetensors' listed for '.*' is missing/)
    })
  })
})
