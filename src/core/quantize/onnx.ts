/**
 * Weight-only quantization of an ONNX graph, at the protobuf level so that every other part of
 * the model (inputs, outputs, node order, attributes, metadata) passes through untouched: any
 * graph we emit (or Optimum exported) works.
 *
 * Each MatMul / Gemm whose weight is a float initializer of rank 2 (MatMul: B [K, N]; Gemm:
 * transB=1, B [N, K], alpha = beta = 1, optional bias C) becomes
 *     MatMulNBits(A, B_q, scales) [+ Add(C)]        (com.microsoft, bits 4 or 8, block 32)
 * with accuracy_level 4: onnxruntime quantizes the activations to int8 per block and runs integer
 * dot products (llama.cpp's q8_0 × q4_0/q8_0 scheme). Measured on onnxruntime-node 1.30 CPU, one
 * token through 24 layers of 1024×1024 (2 cores, loaded machine): fp32 Gemm 26–36 ms, q4 level 4
 * 9 ms, q4 level 0 (fp32 compute) 22–33 ms, 8-bit level 4 9 ms, 8-bit level 0 290 ms,
 * DequantizeLinear(int8 per-channel)→MatMul 11 ms, DynamicQuantizeLinear→MatMulInteger 8 ms
 * (but that quantizes each row of activations with one scale). On the 135M SmolLM2-shaped model
 * (one decode step, 2 threads, same process, interleaved): fp32 187 ms, DequantizeLinear int8
 * per-channel 146 ms, MatMulNBits 8-bit 54 ms, 4-bit 60 ms — so int8 is MatMulNBits too (blocks
 * of 32 rather than one scale per channel: finer, and what onnxruntime runs fast). Perplexity of
 * the bundled model (tinyshakespeare val, 200×250 chars): fp32 4.8084, per-channel DQ 4.8096,
 * MatMulNBits int8 4.8088 (+0.01%), q4 4.8407 (+0.67%).
 * A weight shared with a Gather (tied embeddings) keeps its float copy for the Gather.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../errors.js'
import { halfToFloat32Array, float32ToHalfArray } from '../runtime/fp16.js'
import { ATTR_TYPE, DATA_TYPE, ModelProto } from '../../kernels/onnx/schema.js'
import { quantizeNBits } from './blocks.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf messages are untyped */
type Any = any

export interface QuantizeGraphOptions {
  bits: 4 | 8
  block?: number
  /** MatMulNBits accuracy_level (default 4: int8 compute) */
  accuracyLevel?: number
  /** the model's folder, to read external data */
  folder?: string
  where?: string
}

export interface QuantizeGraphResult {
  model: Uint8Array
  quantized: { name: string; N: number; K: number }[]
  skipped: { name: string; why: string }[]
  /** float weight bytes before, quantized bytes after (blocks + scales) */
  bytesBefore: number
  bytesAfter: number
}

const attr = (node: Any, name: string): Any => node.attribute?.find((a: Any) => a.name === name)
const intAttr = (node: Any, name: string, fallback: number): number => {
  const a = attr(node, name)
  return a ? Number(a.i ?? 0) : fallback
}
const floatAttr = (node: Any, name: string, fallback: number): number => {
  const a = attr(node, name)
  return a ? Number(a.f ?? 0) : fallback
}

/** A float32/float16 initializer's values as float32 (external data read from `folder`). */
function floatValues(t: Any, folder: string | undefined, cache: Map<string, Uint8Array>, where: string): Float32Array {
  let raw: Uint8Array | undefined
  if (t.data_location === 1) {
    raw = readExternal(t, folder, cache, where)
  } else if (t.raw_data?.length) raw = t.raw_data
  if (t.data_type === DATA_TYPE.float32) {
    if (raw) { const c = new Uint8Array(raw); return new Float32Array(c.buffer, 0, c.byteLength / 4) }
    return Float32Array.from(t.float_data ?? [])
  }
  if (t.data_type === DATA_TYPE.float16) {
    if (raw) { const c = new Uint8Array(raw); return halfToFloat32Array(new Uint16Array(c.buffer, 0, c.byteLength / 2)) }
    return halfToFloat32Array(Uint16Array.from(t.int32_data ?? []))
  }
  throw new LlmError(`initializer '${t.name}' is not float`, { where })
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!
  return out
}

const bytes = (a: Float32Array | Uint8Array | Uint16Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

export function quantizeGraph(onnx: Uint8Array, opts: QuantizeGraphOptions): QuantizeGraphResult {
  const where = opts.where ?? '<model>'
  const block = opts.block ?? 32
  let m: Any
  try { m = ModelProto.decode(onnx) } catch (err) { throw new LlmError(`not an ONNX model: ${(err as Error).message}`, { where }) }
  const g = m.graph
  const inits = new Map<string, Any>(g.initializer.map((t: Any) => [t.name, t]))
  // graphs that store weights as float16 read each through Cast(to float32) (llm convert --outtype f16)
  const castOf = new Map<string, string>()
  for (const n of g.node) {
    if (n.op_type === 'Cast' && !n.domain && intAttr(n, 'to', 0) === DATA_TYPE.float32 && inits.get(n.input[0])?.data_type === DATA_TYPE.float16) castOf.set(n.output[0], n.input[0])
  }
  const cache = new Map<string, Uint8Array>()
  const quantized: QuantizeGraphResult['quantized'] = []
  const skipped: QuantizeGraphResult['skipped'] = []
  const newInits: Any[] = []
  const nodes: Any[] = []
  const taken = new Set<string>([...inits.keys(), ...g.node.flatMap((n: Any) => [...n.output, n.name ?? ''])])
  const fresh = (base: string): string => { let s = base, i = 1; while (taken.has(s)) s = `${base}_${i++}`; taken.add(s); return s }
  const done = new Map<string, { q: string; s: string; N: number; K: number }>()
  let bytesBefore = 0, bytesAfter = 0

  for (const node of g.node) {
    const isGemm = node.op_type === 'Gemm' && !node.domain
    const isMatMul = node.op_type === 'MatMul' && !node.domain
    const wName: string | undefined = node.input[1]
    const viaCast = wName !== undefined && !inits.has(wName) && castOf.has(wName)
    const w = wName ? inits.get(viaCast ? castOf.get(wName)! : wName) : undefined
    if (!(isGemm || isMatMul) || !w || (w.data_type !== DATA_TYPE.float32 && w.data_type !== DATA_TYPE.float16) || (w.dims ?? []).length !== 2) { nodes.push(node); continue }
    if (isGemm && (intAttr(node, 'transA', 0) !== 0 || floatAttr(node, 'alpha', 1) !== 1 || floatAttr(node, 'beta', 1) !== 1)) {
      skipped.push({ name: wName!, why: 'Gemm with transA, alpha or beta' }); nodes.push(node); continue
    }
    const [d0, d1] = (w.dims as (number | string)[]).map(Number) as [number, number]
    const transB = isGemm ? intAttr(node, 'transB', 0) : 0
    // MatMulNBits wants W[N, K]: Gemm transB (the HF layout) as is, otherwise transpose [K, N]
    const [N, K] = transB ? [d0, d1] : [d1, d0]
    if (K < block) { skipped.push({ name: wName!, why: `K ${K} < block ${block}` }); nodes.push(node); continue }
    let q = done.get(wName!)
    if (!q) {
      const x = floatValues(w, opts.folder, cache, where)
      const qw = quantizeNBits(transB ? x : transpose(x, K, N), N, K, opts.bits, block)
      // scales in the activations' type: float16 only for a true float16 graph, not a Cast-to-float32 one
      const half = w.data_type === DATA_TYPE.float16 && !viaCast
      const qName = fresh(`${wName}_Q${opts.bits}`), sName = fresh(`${wName}_scales`)
      const blocks = Math.ceil(K / block)
      newInits.push({ name: qName, data_type: DATA_TYPE.uint8, dims: [N, blocks, (block * opts.bits) / 8], raw_data: qw.data })
      newInits.push({ name: sName, data_type: half ? DATA_TYPE.float16 : DATA_TYPE.float32, dims: [N * blocks], raw_data: bytes(half ? float32ToHalfArray(qw.scales) : qw.scales) })
      bytesBefore += x.length * (half ? 2 : 4)
      bytesAfter += qw.data.length + qw.scales.length * (half ? 2 : 4)
      q = { q: qName, s: sName, N, K }
      done.set(wName!, q)
      quantized.push({ name: wName!, N, K })
    }
    const bias: string | undefined = isGemm ? node.input[2] : undefined
    const out = node.output[0]
    const mmOut = bias ? fresh(`${out}_nobias`) : out
    const ints = (name: string, v: number) => ({ name, type: ATTR_TYPE.INT, i: v })
    nodes.push({
      name: node.name, op_type: 'MatMulNBits', domain: 'com.microsoft', input: [node.input[0], q.q, q.s], output: [mmOut],
      attribute: [ints('K', q.K), ints('N', q.N), ints('bits', opts.bits), ints('block_size', block), ints('accuracy_level', opts.accuracyLevel ?? 4)],
    })
    if (bias) nodes.push({ name: fresh(`${node.name}_bias`), op_type: 'Add', input: [mmOut, bias], output: [out] })
  }
  if (!quantized.length) throw new LlmError('no MatMul or Gemm with a float weight initializer to quantize', { where })
  // drop float weights nothing reads any more (a tied embedding stays for its Gather), and the
  // Casts that only fed quantized weights
  const reads = (list: Any[]) => { const u = new Set<string>(list.flatMap((n: Any) => n.input as string[])); for (const o of g.output) u.add(o.name); return u }
  let used = reads(nodes)
  const live = nodes.filter((n: Any) => !(castOf.has(n.output[0]) && !used.has(n.output[0])))
  nodes.length = 0
  nodes.push(...live)
  used = reads(nodes)
  g.initializer = [...g.initializer.filter((t: Any) => used.has(t.name)), ...newInits]
  g.node = nodes
  if (!m.opset_import.some((o: Any) => o.domain === 'com.microsoft')) m.opset_import.push({ domain: 'com.microsoft', version: 1 })
  // tensors move inline: drop external-data references of the ones we kept
  for (const t of g.initializer) {
    if (t.data_location === 1) {
      t.raw_data = bytes(new Uint8Array(readExternal(t, opts.folder, cache, where)))
      t.data_location = 0
      t.external_data = []
    }
  }
  m.metadata_props = [...(m.metadata_props ?? []).filter((p: Any) => p.key !== 'llm.quantization'),
    { key: 'llm.quantization', value: JSON.stringify({ op: 'MatMulNBits', bits: opts.bits, block_size: block, accuracy_level: opts.accuracyLevel ?? 4, weights: quantized.length }) }]
  const model = ModelProto.encode(m).finish()
  if (model.length >= 2 ** 31) throw new LlmError(`the quantized model is ${model.length} bytes, over protobuf's 2 GiB limit`, { where })
  return { model, quantized, skipped, bytesBefore, bytesAfter }
}

function readExternal(t: Any, folder: string | undefined, cache: Map<string, Uint8Array>, where: string): Uint8Array {
  const kv: Record<string, string> = {}
  for (const e of t.external_data ?? []) kv[e.key] = e.value
  if (!folder) throw new LlmError(`initializer '${t.name}' is in external data and no folder was given`, { where })
  let file = cache.get(kv.location!)
  if (!file) { file = readFileSync(join(folder, kv.location!)); cache.set(kv.location!, file) }
  const off = Number(kv.offset ?? 0)
  return file.subarray(off, off + Number(kv.length ?? file.length - off))
}
