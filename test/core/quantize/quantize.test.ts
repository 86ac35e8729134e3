/**
 * `llm quantize`: MatMulNBits blocks hold llama.cpp's q4_0 / q8_0 numbers; onnxruntime runs the
 * rewritten graph close to the float one; the bundled model's perplexity moves by less than the
 * targets (int8 ≤ 1%, q4 ≤ 5%); --dtype picks the file; transformers.js loads it with `dtype` and
 * generates the same greedy ids as we do from it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dequantizeNBits, quantizeNBits } from '../../../src/core/quantize/blocks.js'
import { quantizeGraph } from '../../../src/core/quantize/onnx.js'
import { quantizeQ4_0, quantizeQ8_0 } from '../../../src/core/convert/gguf-file.js'
import { float32ToHalfArray, halfToFloat } from '../../../src/core/runtime/fp16.js'
import { ModelSession, tensor } from '../../../src/core/runtime/ort.js'
import { Graph } from '../../../src/kernels/onnx/graph.js'
import { readModel } from '../../../src/kernels/onnx/read.js'
import { Model } from '../../../src/core/model/load.js'
import { generateWithModel } from '../../../src/core/generate/generator.js'
import { repoRoot, runCli, seededRandom } from '../../helpers.js'

const root = mkdtempSync(join(tmpdir(), 'llm-quant-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const rand = seededRandom(7)
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 * s)

/** GGUF q4_0 / q8_0 blocks decoded (ggml's dequantize_row_q4_0 / _q8_0) */
function ggmlDequant(bytes: Uint8Array, bits: 4 | 8, n: number): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(n)
  const bs = bits === 4 ? 18 : 34
  for (let b = 0; b < n / 32; b++) {
    const d = halfToFloat(v.getUint16(b * bs, true))
    for (let j = 0; j < 32; j++) {
      const q = bits === 4 ? (j < 16 ? bytes[b * bs + 2 + j]! & 15 : bytes[b * bs + 2 + j - 16]! >> 4) - 8 : v.getInt8(b * bs + 2 + j)
      out[b * 32 + j] = q * d
    }
  }
  return out
}

describe('MatMulNBits blocks', () => {
  it('hold the same numbers as llama.cpp q4_0 / q8_0 (scales rounded to fp16 there)', () => {
    const N = 6, K = 96
    const w = randn(N * K, 3)
    for (const bits of [4, 8] as const) {
      const ours = dequantizeNBits(quantizeNBits(w, N, K, bits))
      const ggml = ggmlDequant(bits === 4 ? quantizeQ4_0(w) : quantizeQ8_0(w), bits, N * K)
      let worst = 0
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ggml[i]!) / (Math.abs(ggml[i]!) + 1e-6))
      expect(worst, `bits ${bits}: relative difference ${worst}`).toBeLessThan(2e-3) // fp16 vs fp32 scale only
    }
  })

  it('pads a ragged last block with zeros and keeps the error under half a step', () => {
    const N = 3, K = 50
    const w = randn(N * K)
    for (const bits of [4, 8] as const) {
      const q = quantizeNBits(w, N, K, bits)
      expect(q.data.length).toBe(N * 2 * (32 * bits / 8))
      const back = dequantizeNBits(q)
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
        const step = Math.abs(q.scales[n * 2 + Math.floor(k / 32)]!)
        expect(Math.abs(back[n * K + k]! - w[n * K + k]!)).toBeLessThanOrEqual(step * (bits === 4 ? 1 : 0.5) + 1e-7)
      }
    }
  })
})

describe('quantizeGraph', () => {
  it('rewrites Gemm(transB) and MatMul weights; onnxruntime agrees with the dequantized float product', async () => {
    const K = 64, N = 64
    const wg = randn(N * K, 0.2), wm = randn(N * K, 0.2), bias = randn(N)
    const g = new Graph({ opset: 17 })
    const x = g.input('x', 'float32', ['n', K])
    const a = g.op('Gemm', [x, g.initializer('wg', 'float32', [N, K], wg), g.initializer('b', 'float32', [N], bias)], { transB: 1 })
    const y = g.op('MatMul', [g.op('Relu', [a]), g.initializer('wm', 'float32', [K, N], wm)], {}, { name: 'y' })
    g.output(y, 'float32', ['n', N])
    const r = quantizeGraph(g.toBytes().model, { bits: 8 })
    expect(r.quantized.map((q) => q.name).sort()).toEqual(['wg', 'wm'])
    const info = readModel(r.model)
    expect(info.nodes.map((n) => n.opType)).toEqual(['MatMulNBits', 'Add', 'Relu', 'MatMulNBits'])
    expect(info.initializers.map((t) => t.name)).not.toContain('wg')
    expect(info.opsets).toContainEqual({ domain: 'com.microsoft', version: 1 })

    const xs = randn(3 * K)
    const run = async (bytes: Uint8Array) => {
      const s = await ModelSession.create(bytes)
      const o = (await s.run({ x: tensor('float32', xs, [3, K]) })).y!.data as Float32Array
      await s.release()
      return o
    }
    // reference: the float graph with the dequantized weights
    const dq = (w: Float32Array, transposed: boolean) => {
      const wt = transposed ? Float32Array.from({ length: N * K }, (_, i) => w[(i % K) * N + Math.floor(i / K)]!) : w
      return dequantizeNBits(quantizeNBits(wt, N, K, 8))
    }
    const g2 = new Graph({ opset: 17 })
    const x2 = g2.input('x', 'float32', ['n', K])
    const a2 = g2.op('Gemm', [x2, g2.initializer('wg', 'float32', [N, K], dq(wg, false)), g2.initializer('b', 'float32', [N], bias)], { transB: 1 })
    const y2 = g2.op('Gemm', [g2.op('Relu', [a2]), g2.initializer('wm', 'float32', [N, K], dq(wm, true))], { transB: 1 }, { name: 'y' })
    g2.output(y2, 'float32', ['n', N])
    const got = await run(r.model), want = await run(g2.toBytes().model)
    let err = 0, norm = 0
    for (let i = 0; i < got.length; i++) { err = Math.max(err, Math.abs(got[i]! - want[i]!)); norm = Math.max(norm, Math.abs(want[i]!)) }
    // accuracy_level 4 quantizes the activations to int8 blocks as well: a few parts per thousand
    expect(err / norm, `max |Δ| ${err} of ${norm}`).toBeLessThan(0.02)
  })

  it('quantizes a graph whose weights are stored as float16 and cast to float32 (convert --outtype f16); the casts and half weights go', async () => {
    const [M, K, N] = [3, 64, 8]
    const r = seededRandom(5)
    const w = Float32Array.from({ length: N * K }, () => r() - 0.5)
    const g = new Graph({ opset: 17 })
    const x = g.input('x', 'float32', [M, K])
    g.op('Cast', [g.initializer('w.f16', 'float16', [N, K], float32ToHalfArray(w))], { to: 1 }, { name: 'w' })
    g.output(g.op('Gemm', [x, 'w'], { transB: 1 }, { name: 'y' }), 'float32', [M, N])
    const q = quantizeGraph(g.toBytes().model, { bits: 8 })
    const info = readModel(q.model)
    expect(info.nodes.map((n) => n.opType)).toEqual(['MatMulNBits'])
    expect(info.initializers.map((t) => t.name)).not.toContain('w.f16')
    const s = await ModelSession.create(q.model)
    const xs = Float32Array.from({ length: M * K }, () => r() - 0.5)
    const y = (await s.run({ x: tensor('float32', xs, [M, K]) })).y.data as Float32Array
    await s.release()
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let ref = 0
      for (let k = 0; k < K; k++) ref += xs[i * K + k]! * w[j * K + k]!
      expect(Math.abs(y[i * N + j]! - ref)).toBeLessThan(0.05)
    }
  })

  it('refuses a graph with nothing to quantize', () => {
    const g = new Graph({ opset: 17 })
    g.output(g.op('Relu', [g.input('x', 'float32', [2])], {}, { name: 'y' }), 'float32', [2])
    expect(() => quantizeGraph(g.toBytes().model, { bits: 4 })).toThrow(/no MatMul or Gemm/)
  })
})

describe('llm quantize on the bundled model', () => {
  const dir = join(root, 'default')
  const val = join(root, 'val.jsonl')
  beforeAll(() => {
    cpSync(join(repoRoot, 'models/default'), dir, { recursive: true })
    // held-out text for the char-level Shakespeare model (its own README's sample style)
    const text = readFileSync(join(repoRoot, 'models/default/README.md'), 'utf8').replace(/[^A-Za-z ,.;:'!?\n-]/g, ' ')
    const lines = ['ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.',
      'First Citizen:\nBefore we proceed any further, hear me speak.\nAll:\nSpeak, speak.',
      'KING RICHARD II:\nNow is the winter of our discontent made glorious summer by this sun of York.',
      text.slice(0, 200)]
    writeFileSync(val, lines.map((t) => JSON.stringify({ text: t })).join('\n') + '\n')
  })

  it('int8 and q4: files named as transformers.js expects; perplexity within 1% and 5% of fp32', () => {
    for (const to of ['int8', 'q4']) {
      const r = runCli(['quantize', dir, '--to', to, '--out', dir, '--json'])
      expect(r.code, r.stderr).toBe(0)
      // every projection: 4 layers × (qkv_proj, o_proj, gate_up_proj, down_proj) + lm_head
      expect(JSON.parse(r.stdout)).toMatchObject({ file: join(dir, `onnx/model_${to}.onnx`), weights: 17 })
    }
    const ppl = (dtype: string) => {
      const r = runCli(['eval', val, '--format', 'perplexity', '-m', dir, '--dtype', dtype, '--json', '--progress', 'none'])
      expect(r.code, r.stderr).toBe(0)
      const j = JSON.parse(r.stdout) as { results: Record<string, Record<string, number>>; config: { model_file?: string } }
      return Object.values(j.results)[0]!['token_perplexity,none']!
    }
    const base = ppl('fp32'), int8 = ppl('int8'), q4 = ppl('q4')
    expect(int8 / base, `fp32 ${base} int8 ${int8}`).toBeLessThan(1.01)
    expect(q4 / base, `fp32 ${base} q4 ${q4}`).toBeLessThan(1.05)
    expect(q4).not.toBe(base) // the q4 file really ran
  })

  it('transformers.js loads model_q4.onnx with dtype q4 and generates our greedy ids', async () => {
    const m = await Model.load(dir, { dtype: 'q4' })
    expect(m.folder.onnxFile).toBe(join(dir, 'onnx/model_q4.onnx'))
    const ours = await generateWithModel(m, 'ROMEO:', { maxTokens: 30, sampling: { temperature: 0 } })
    await m.release()
    const tjs = await import('@huggingface/transformers')
    tjs.env.allowRemoteModels = false
    tjs.env.allowLocalModels = true
    tjs.env.localModelPath = root + '/'
    const model = await tjs.AutoModelForCausalLM.from_pretrained('default', { local_files_only: true, dtype: 'q4' })
    const input = new tjs.Tensor('int64', BigInt64Array.from(ours.prompt_ids.map(BigInt)), [1, ours.prompt_ids.length])
    const out = (await model.generate({ input_ids: input, max_new_tokens: 30, do_sample: false })) as { tolist(): bigint[][] }
    expect(out.tolist()[0]!.map(Number).slice(ours.prompt_ids.length)).toEqual(ours.ids)
    await model.dispose()
  })

  it('bad input: unknown --to, --dtype without the file, a folder without ONNX', () => {
    expect(runCli(['quantize', dir, '--to', 'q3', '--out', dir]).code).toBe(2)
    const bare = join(root, 'bare')
    cpSync(join(repoRoot, 'models/default'), bare, { recursive: true, filter: (p) => !p.endsWith('.onnx') })
    let r = runCli(['generate', '-m', bare, '--dtype', 'q4', 'hi'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no q4 ONNX model.*llm quantize/)
    r = runCli(['quantize', bare, '--to', 'q4', '--out', join(root, 'x')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no fp32 ONNX model/)
    r = runCli(['quantize', dir, '--to', 'q4', '--out', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/exists.*--force/)
  })
})
