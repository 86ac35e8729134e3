import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ModelSession, tensor, type Tensor } from '../../../src/core/runtime/ort.js'
import { readSafetensors } from '../../../src/core/safetensors.js'
import { emitDecoder, readModelConfig, type ModelConfig } from '../../../src/kernels/model/index.js'
import { exportOnnx } from '../../../src/core/convert/onnx.js'
import { readJsonObject as readJson } from '../../../src/core/json.js'
import { readModel } from '../../../src/kernels/onnx/index.js'
import { needs, PY, repoRoot, SHARED, shared, TORCH } from '../../helpers.js'

const root = mkdtempSync(join(tmpdir(), 'llm-llama-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Ref { dir: string; config: ModelConfig; ids: number[][]; logits: Float32Array; session: ModelSession }

/** Run the PyTorch reference (test/fixtures/llama/torch_logits.py) and export our graph for its weights. */
async function reference(name: string, args: string[]): Promise<Ref> {
  const dir = join(root, name)
  const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/llama/torch_logits.py'), dir, shared('tools'), ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  const res = exportOnnx(dir)
  const buf = readFileSync(join(dir, 'logits.bin'))
  return {
    dir,
    config: res.config,
    ids: (readJson(join(dir, 'batch.json')).input_ids as number[][]),
    logits: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)),
    session: await ModelSession.create(res.file),
  }
}

const i64 = (rows: number[][]) => tensor('int64', rows.flat().map(BigInt), [rows.length, rows[0].length])

function emptyCache(c: ModelConfig, B: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {}
  for (let i = 0; i < c.numLayers; i++) for (const k of ['key', 'value']) {
    out[`past_key_values.${i}.${k}`] = tensor('float32', new Float32Array(0), [B, c.numKvHeads, 0, c.headDim])
  }
  return out
}

function presentToPast(c: ModelConfig, out: Record<string, Tensor>): Record<string, Tensor> {
  const past: Record<string, Tensor> = {}
  for (let i = 0; i < c.numLayers; i++) for (const k of ['key', 'value']) past[`past_key_values.${i}.${k}`] = out[`present.${i}.${k}`]
  return past
}

/** max |ours[oursStart + i] − ref[refStart + i]| over i < count, and where (NaN counts as worst). */
function maxDiff(ours: Float32Array, oursStart: number, ref: Float32Array, refStart: number, count: number): { diff: number; at: number } {
  let diff = 0, at = -1
  for (let i = 0; i < count; i++) {
    const d = Math.abs(ours[oursStart + i] - ref[refStart + i])
    if (!(d <= diff)) { diff = d; at = i }
  }
  return { diff, at }
}

needs(TORCH, SHARED).describe('decoder graph (llama) vs the PyTorch reference (torch_reference.forward)', () => {
  let gqa: Ref
  let tied: Ref
  beforeAll(async () => {
    gqa = await reference('gqa', ['--kv-heads', '2', '--heads', '6'])
    tied = await reference('tied', ['--tie', '--kv-heads', '4', '--heads', '4', '--theta', '10000', '--seed', '3'])
  })

  it('full-sequence logits match (GQA 6/2 heads, untied head; MHA with tied embeddings)', async () => {
    for (const ref of [gqa, tied]) {
      const c = ref.config
      const [B, T] = [ref.ids.length, ref.ids[0].length]
      const out = await ref.session.run({
        input_ids: i64(ref.ids),
        attention_mask: i64(ref.ids.map((r) => r.map(() => 1))),
        position_ids: i64(ref.ids.map((r) => r.map((_, j) => j))),
        ...emptyCache(c, B),
      })
      expect(out.logits.dims).toEqual([B, T, c.vocabSize])
      expect(out['present.0.key'].dims).toEqual([B, c.numKvHeads, T, c.headDim])
      const { diff, at } = maxDiff(out.logits.data as Float32Array, 0, ref.logits, 0, ref.logits.length)
      expect(diff, `max |Δlogit| ${diff} at flat index ${at} (${ref.dir})`).toBeLessThan(1e-4)
      // a wrong RoPE or head grouping would move logits by far more than the tolerance
      let spread = 0
      for (let i = 0; i < ref.logits.length; i++) spread = Math.max(spread, Math.abs(ref.logits[i]))
      expect(spread).toBeGreaterThan(1)
    }
  })

  it('KV-cached decoding (prompt of 4, then one token at a time) matches full recomputation', async () => {
    const c = gqa.config
    const V = c.vocabSize
    const T = gqa.ids[0].length
    const ids = gqa.ids
    let out = await gqa.session.run({
      input_ids: i64(ids.map((r) => r.slice(0, 4))),
      attention_mask: i64(ids.map(() => [1, 1, 1, 1])),
      position_ids: i64(ids.map(() => [0, 1, 2, 3])),
      ...emptyCache(c, 2),
    })
    let worst = 0
    for (let b = 0; b < 2; b++) worst = Math.max(worst, maxDiff(out.logits.data as Float32Array, b * 4 * V, gqa.logits, b * T * V, 4 * V).diff)
    for (let p = 4; p < T; p++) {
      out = await gqa.session.run({
        input_ids: i64(ids.map((r) => [r[p]])),
        attention_mask: i64(ids.map(() => Array(p + 1).fill(1))),
        position_ids: i64(ids.map(() => [p])),
        ...presentToPast(c, out),
      })
      expect(out['present.1.value'].dims).toEqual([2, c.numKvHeads, p + 1, c.headDim])
      for (let b = 0; b < 2; b++) worst = Math.max(worst, maxDiff(out.logits.data as Float32Array, b * V, gqa.logits, (b * T + p) * V, V).diff)
    }
    expect(worst, `max |Δlogit| cached vs full: ${worst}`).toBeLessThan(1e-4)
  })

  it('left padding: a padded row gives the unpadded logits at its real tokens, finite elsewhere', async () => {
    const c = gqa.config
    const V = c.vocabSize
    const T = gqa.ids[0].length
    const pad = 3
    const real = gqa.ids[0].slice(0, T - pad)
    const rows = [[0, 0, 0, ...real], gqa.ids[1]]
    const out = await gqa.session.run({
      input_ids: i64(rows),
      attention_mask: i64([[0, 0, 0, ...real.map(() => 1)], gqa.ids[1].map(() => 1)]),
      position_ids: i64([[1, 1, 1, ...real.map((_, j) => j)], gqa.ids[1].map((_, j) => j)]),
      ...emptyCache(c, 2),
    })
    const logits = out.logits.data as Float32Array
    expect(logits.every(Number.isFinite)).toBe(true)
    const padded = maxDiff(logits, pad * V, gqa.logits, 0, real.length * V)
    const other = maxDiff(logits, T * V, gqa.logits, T * V, T * V)
    expect(padded.diff, `padded row max |Δ| ${padded.diff}`).toBeLessThan(1e-4)
    expect(other.diff).toBeLessThan(1e-4)
  })

  it('the same logits with weights in external data and with opset 18 (ReduceMean axes as input)', async () => {
    const c = gqa.config
    const feeds = () => ({
      input_ids: i64(gqa.ids),
      attention_mask: i64(gqa.ids.map((r) => r.map(() => 1))),
      position_ids: i64(gqa.ids.map((r) => r.map((_, j) => j))),
      ...emptyCache(c, 2),
    })
    const ext = exportOnnx(gqa.dir, { out: join(gqa.dir, 'onnx/ext.onnx'), externalDataAbove: 0 })
    expect(ext.externalData).toBe('ext.onnx_data')
    expect(readModel(readFileSync(ext.file)).initializers.find((t) => t.name === 'lm_head.weight')!.external?.location).toBe('ext.onnx_data')
    const o18 = exportOnnx(gqa.dir, { out: join(gqa.dir, 'onnx/opset18.onnx'), opset: 18 })
    for (const file of [ext.file, o18.file]) {
      const s = await ModelSession.create(file)
      const logits = (await s.run(feeds())).logits.data as Float32Array
      const { diff } = maxDiff(logits, 0, gqa.logits, 0, gqa.logits.length)
      expect(diff, `${file}: max |Δlogit| ${diff}`).toBeLessThan(1e-4)
      await s.release()
    }
  })

  it('runs in onnxruntime-web (the WASM build transformers.js ships), contrib ops included, with the PyTorch logits', async () => {
    // transformers.js' own copy, the one a browser user of the folder gets
    const fromTjs = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'))
    const web = await import(pathToFileURL(fromTjs.resolve('onnxruntime-web')).href.replace(/ort\.[^/]*$/, 'ort.node.min.mjs'))
    web.env.wasm.numThreads = 1
    const c = gqa.config
    const i64w = (rows: number[][]) => new web.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length])
    const feeds: Record<string, unknown> = {
      input_ids: i64w(gqa.ids),
      attention_mask: i64w(gqa.ids.map((r) => r.map(() => 1))),
      position_ids: i64w(gqa.ids.map((r) => r.map((_, j) => j))),
    }
    for (let i = 0; i < c.numLayers; i++) for (const k of ['key', 'value']) feeds[`past_key_values.${i}.${k}`] = new web.Tensor('float32', new Float32Array(0), [2, c.numKvHeads, 0, c.headDim])
    const s = await web.InferenceSession.create(readFileSync(join(gqa.dir, 'onnx/model.onnx')), { executionProviders: ['wasm'] })
    const logits = (await s.run(feeds)).logits.data as Float32Array
    const { diff } = maxDiff(logits, 0, gqa.logits, 0, gqa.logits.length)
    expect(diff, `onnxruntime-web max |Δlogit| ${diff}`).toBeLessThan(1e-4)
    await s.release()
  })

  it('declares the Optimum / transformers.js inputs and outputs with named dims', () => {
    const info = readModel(readFileSync(join(gqa.dir, 'onnx/model.onnx')))
    const c = gqa.config
    expect(info.opsets).toEqual([{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }])
    expect(info.inputs.slice(0, 3)).toEqual([
      { name: 'input_ids', dtype: 'int64', dims: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', dtype: 'int64', dims: ['batch_size', 'total_sequence_length'] },
      { name: 'position_ids', dtype: 'int64', dims: ['batch_size', 'sequence_length'] },
    ])
    expect(info.inputs[3]).toEqual({ name: 'past_key_values.0.key', dtype: 'float32', dims: ['batch_size', c.numKvHeads, 'past_sequence_length', c.headDim] })
    expect(info.inputs.map((v) => v.name)).toHaveLength(3 + 2 * c.numLayers)
    expect(info.outputs[0]).toEqual({ name: 'logits', dtype: 'float32', dims: ['batch_size', 'sequence_length', c.vocabSize] })
    expect(info.outputs.map((v) => v.name).slice(1, 3)).toEqual(['present.0.key', 'present.0.value'])
    expect(info.outputs.at(-1)).toEqual({ name: 'last_hidden_state', dtype: 'float32', dims: ['batch_size', 'sequence_length', c.hiddenSize] })
    // onnxruntime's contrib ops, only these (in every build transformers.js runs on)
    expect(new Set(info.nodes.filter((n) => n.domain).map((n) => `${n.domain}.${n.opType}`))).toEqual(new Set(['com.microsoft.SkipSimplifiedLayerNormalization', 'com.microsoft.RotaryEmbedding']))
    const names = info.initializers.map((t) => t.name)
    expect(names).toContain('model.layers.1.mlp.down_proj.weight')
    // q/k/v and gate/up run as one Gemm each on the concatenated rows
    expect(names).toEqual(expect.arrayContaining(['model.layers.1.self_attn.qkv_proj.weight', 'model.layers.1.mlp.gate_up_proj.weight']))
    expect(names.filter((n) => /\.(q|k|v|gate|up)_proj\./.test(n))).toEqual([])
  })

  it('refuses missing or mis-shaped weights, naming the tensor', () => {
    const c = readModelConfig(readJson(join(gqa.dir, 'config.json')))
    const w = readSafetensors(join(gqa.dir, 'model.safetensors')).tensors
    const missing = new Map(w)
    missing.delete('model.layers.1.mlp.up_proj.weight')
    expect(() => emitDecoder(c, missing)).toThrow(/weight 'model.layers.1.mlp.up_proj.weight' is missing/)
    const wrong = new Map(w)
    wrong.set('model.norm.weight', { dtype: 'F32', shape: [3], data: new Float32Array(3) })
    expect(() => emitDecoder(c, wrong)).toThrow(/'model.norm.weight' has shape \[3\], config.json implies \[48\]/)
    expect(() => readModelConfig({ ...readJson(join(gqa.dir, 'config.json')), rope_scaling: { rope_type: 'yarn', factor: 8 } })).toThrow(/'rope_scaling' type "yarn" is not supported/)
  })
})
