import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Graph, float, floats, graphAttr, readModel, tensorAttr } from '../../../src/kernels/onnx/index.js'
import { ModelSession, tensor } from '../../../src/core/runtime/ort.js'

/** deterministic pseudo-random floats in [-1, 1) */
function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1 }
  return out
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

const dir = mkdtempSync(join(tmpdir(), 'llm-onnx-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('Graph builder runs in onnxruntime', () => {
  it('MatMul + Add (broadcast bias) with a symbolic batch dim matches a JS matmul', async () => {
    const [B, K, N] = [3, 5, 4]
    const g = new Graph({ name: 'linear' })
    const x = g.input('x', 'float32', ['batch_size', K])
    const w = g.initializer('w', 'float32', [K, N], rand(K * N, 1))
    const b = g.initializer('b', 'float32', [N], rand(N, 2))
    const y = g.op('Add', [g.op('MatMul', [x, w]), b], {}, { name: 'y' })
    g.output(y, 'float32', ['batch_size', N])
    const s = await ModelSession.create(g.toBytes().model)
    const xs = rand(B * K, 3)
    const out = (await s.run({ x: tensor('float32', xs, [B, K]) })).y
    expect(out.dims).toEqual([B, N])
    const W = rand(K * N, 1), bias = rand(N, 2)
    const want = new Float32Array(B * N)
    for (let i = 0; i < B; i++) for (let j = 0; j < N; j++) {
      let acc = bias[j]
      for (let k = 0; k < K; k++) acc += xs[i * K + k] * W[k * N + j]
      want[i * N + j] = acc
    }
    expect(maxDiff(out.data as Float32Array, want)).toBeLessThan(1e-5)
    expect(s.inputMetadata[0].dims).toEqual(['batch_size', K])
  })

  it('multi-output op (Split), INTS/FLOAT/FLOATS/STRING attrs and shared constants', async () => {
    const g = new Graph()
    const x = g.input('x', 'float32', [2, 6])
    const [a, b] = g.opN('Split', [x, g.const('int64', [2], [2, 4])], ['a', 'b'], { axis: 1 })
    // LeakyRelu alpha is FLOAT (non-integer number → FLOAT); float(2) forces FLOAT for an integer.
    const la = g.op('LeakyRelu', [a], { alpha: 0.5 })
    const lb = g.op('LeakyRelu', [b], { alpha: float(2) })
    g.output(g.op('Identity', [la], {}, { name: 'ya' }), 'float32', [2, 2])
    g.output(g.op('Identity', [lb], {}, { name: 'yb' }), 'float32', [2, 4])
    // identical small constants are stored once
    expect(g.const('int64', [2], [2, 4])).toBe(g.const('int64', [2], [2, 4]))
    const bytes = g.toBytes().model
    const s = await ModelSession.create(bytes)
    const xs = Float32Array.from([1, -2, 3, -4, 5, -6, -1, 2, -3, 4, -5, 6])
    const r = await s.run({ x: tensor('float32', xs, [2, 6]) })
    expect(Array.from(r.ya.data as Float32Array)).toEqual([1, -1, -0.5, 2])
    expect(Array.from(r.yb.data as Float32Array)).toEqual([3, -8, 5, -12, -6, 4, -10, 6])
    const info = readModel(bytes)
    expect(info.opsets).toEqual([{ domain: '', version: 17 }])
    expect(info.irVersion).toBe(8)
    const lr = info.nodes.filter((n) => n.opType === 'LeakyRelu').map((n) => n.attrs.alpha)
    expect(lr).toEqual([0.5, 2])
    expect(info.nodes[0].attrs.axis).toBe(1)
    // FLOATS / STRING / TENSOR attributes survive encoding
    const g2 = new Graph()
    const i = g2.input('i', 'float32', [1])
    g2.output(g2.op('Identity', [i], { fs: floats([0.25, 1]), s: 'hello', t: tensorAttr('int64', [2], BigInt64Array.of(7n, -1n)), neg: -3 }, { name: 'o' }), 'float32', [1])
    const a2 = readModel(g2.toBytes().model).nodes[0].attrs
    expect(a2.fs).toEqual([0.25, 1])
    expect(a2.s).toBe('hello')
    expect(a2.neg).toBe(-3)
    expect(Array.from((a2.t as { data: BigInt64Array }).data)).toEqual([7n, -1n])
  })

  it('Constant node with a tensor attribute and an If subgraph reading the outer graph', async () => {
    const g = new Graph()
    const x = g.input('x', 'float32', [3])
    const c = g.op('Constant', [], { value: tensorAttr('float32', [3], Float32Array.of(10, 20, 30)) })
    const cond = g.input('cond', 'bool', [])
    const thenG = g.subgraph('then')
    thenG.output(thenG.op('Add', [x, c]), 'float32', [3])
    const elseG = g.subgraph('else')
    elseG.output(elseG.op('Sub', [x, c]), 'float32', [3])
    g.output(g.op('If', [cond], { then_branch: graphAttr(thenG), else_branch: graphAttr(elseG) }, { name: 'y' }), 'float32', [3])
    const s = await ModelSession.create(g.toBytes().model)
    const xs = Float32Array.of(1, 2, 3)
    const yes = await s.run({ x: tensor('float32', xs, [3]), cond: tensor('bool', [1], []) })
    const no = await s.run({ x: tensor('float32', xs, [3]), cond: tensor('bool', [0], []) })
    expect(Array.from(yes.y.data as Float32Array)).toEqual([11, 22, 33])
    expect(Array.from(no.y.data as Float32Array)).toEqual([-9, -18, -27])
  })

  it('external data: large weights go to a side file that onnxruntime resolves from the model path', async () => {
    const g = new Graph()
    const x = g.input('x', 'float32', [1, 64])
    const w = rand(64 * 64, 9)
    g.initializer('w_big', 'float32', [64, 64], w)
    g.initializer('w_small', 'float32', [64], rand(64, 10)) // 256 bytes: stays inline
    const y = g.op('Add', [g.op('MatMul', [x, 'w_big']), 'w_small'], {}, { name: 'y' })
    g.output(y, 'float32', [1, 64])
    const { model, externalData } = g.toBytes({ externalData: { fileName: 'model.onnx.data', thresholdBytes: 1024 } })
    expect(externalData?.byteLength).toBe(64 * 64 * 4)
    // toParts: the same bytes as chunks (tensor views, not copies)
    const parts = g.toParts({ externalData: { fileName: 'model.onnx.data', thresholdBytes: 1024 } })
    expect(Buffer.from(parts.model).equals(Buffer.from(model))).toBe(true)
    expect(Buffer.concat(parts.externalData!).equals(Buffer.from(externalData!))).toBe(true)
    expect(model.byteLength).toBeLessThan(4096)
    writeFileSync(join(dir, 'model.onnx'), model)
    writeFileSync(join(dir, 'model.onnx.data'), externalData!)
    const info = readModel(model, { folder: dir })
    const big = info.initializers.find((t) => t.name === 'w_big')!
    expect(big.external).toEqual({ location: 'model.onnx.data', offset: 0, length: 64 * 64 * 4 })
    expect(maxDiff(big.data as Float32Array, w)).toBe(0)
    const s = await ModelSession.create(join(dir, 'model.onnx'))
    const xs = rand(64, 11)
    const out = (await s.run({ x: tensor('float32', xs, [1, 64]) })).y.data as Float32Array
    const bias = rand(64, 10)
    const want = new Float32Array(64)
    for (let j = 0; j < 64; j++) { let a = bias[j]; for (let k = 0; k < 64; k++) a += xs[k] * w[k * 64 + j]; want[j] = a }
    expect(maxDiff(out, want)).toBeLessThan(1e-5)
  })

  it('int64 and bool tensors, negative axes, metadata', async () => {
    const g = new Graph()
    const ids = g.input('ids', 'int64', ['n'])
    const table = g.initializer('table', 'float32', [4, 2], Float32Array.of(0, 1, 10, 11, 20, 21, 30, 31))
    const e = g.op('Gather', [table, ids], { axis: 0 })
    g.output(g.op('ReduceSum', [e, g.const('int64', [1], [-1])], { keepdims: 0 }, { name: 'sum' }), 'float32', ['n'])
    const bytes = g.toBytes({ metadata: { kind: "test" } }).model
    expect(readModel(bytes).metadata).toEqual({ kind: 'test' })
    const s = await ModelSession.create(bytes)
    const r = await s.run({ ids: tensor('int64', [3n, 0n, 2n], [3]) })
    expect(Array.from(r.sum.data as Float32Array)).toEqual([61, 1, 41])
  })
})

describe('Graph builder refuses malformed graphs early', () => {
  it('undefined input, duplicate names, wrong data length/type, non-integer INTS', () => {
    const g = new Graph()
    const x = g.input('x', 'float32', [2])
    expect(() => g.op('Relu', ['nope'])).toThrow(/input 'nope' is not defined/)
    expect(() => g.input('x', 'float32', [2])).toThrow(/already defined/)
    expect(() => g.initializer('w', 'float32', [3], new Float32Array(2))).toThrow(/need 3 values, got 2/)
    expect(() => g.initializer('w', 'int64', [2], new Float32Array(2))).toThrow(/BigInt64Array/)
    expect(() => g.op('Relu', [x], { bad: [1.5] })).not.toThrow() // validated at serialisation
    expect(() => g.toBytes()).toThrow(/floats\(/)
    expect(() => g.output('missing', 'float32', [2])).toThrow(/not produced/)
    expect(() => readModel(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(/not an ONNX model/)
  })

  it('fresh names never collide with explicit names', () => {
    const g = new Graph()
    g.input('Relu_0', 'float32', [1])
    const a = g.op('Relu', ['Relu_0'])
    expect(a).not.toBe('Relu_0')
    expect(g.fresh('Relu')).not.toBe(a)
  })
})
