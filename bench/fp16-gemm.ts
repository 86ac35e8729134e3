/**
 * Can onnxruntime's CPU provider decode faster from float16 weights than from float32? A decode
 * step is matrix-vector products (batch 1) over every weight, so the question is what one such
 * product costs per weight precision. The same chain of 2·L projections of the 135M model's MLP
 * shape (x[1, 576] → [1536] → [576], L pairs of distinct random weights) is run three ways:
 *
 *   float32        Gemm on float32 weights (what `llm` runs)
 *   float16        Gemm with float16 activations and weights (onnxruntime's MLFloat16 kernels)
 *   float16 MatMul the same through MatMul on [in, out] weights (the other MLFloat16 kernel)
 *   f16 → f32      float16 initializers Cast to float32 (what `convert --outtype f16` stores;
 *                  onnxruntime folds the Cast at load, so this computes float32)
 *
 *   npm run bench:fp16-gemm          (builds, then: node dist/bench/fp16-gemm.js)
 *   options: --threads T (default 1)  --layers L (default 60)  --reps R (default 40)
 *
 * Reported: ms per chain (median) and the weight bytes read per second at the stored precision.
 * The float16 path halves the bytes; it only helps if its kernel keeps the bandwidth.
 */
import ort from 'onnxruntime-node'
import { Graph, type DType } from '../src/kernels/onnx/graph.js'
import { uniforms } from '../src/core/rng.js'
import { float32ToHalfArray } from '../src/core/runtime/fp16.js'

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const threads = arg('threads', 1), L = arg('layers', 60), reps = arg('reps', 40)
const K = 576, N = 1536
const r = uniforms(16)
const weights = (n: number) => Float32Array.from({ length: n }, () => (r() - 0.5) * 0.04)

type Kind = 'float32' | 'float16' | 'float16 MatMul' | 'f16 → f32'
const isHalf = (kind: Kind) => kind === 'float16' || kind === 'float16 MatMul'
function chain(kind: Kind): Uint8Array {
  const g = new Graph({ opset: 17 })
  const io: DType = isHalf(kind) ? 'float16' : 'float32'
  let x = g.input('x', io, [1, K])
  for (let i = 0; i < 2 * L; i++) {
    const outIn = i % 2 === 0 ? [N, K] : [K, N]
    const shape = kind === 'float16 MatMul' ? [outIn[1]!, outIn[0]!] : outIn // MatMul takes [in, out]
    const w32 = weights(N * K)
    let w = kind === 'float32' ? g.initializer(`w${i}`, 'float32', shape, w32) : g.initializer(`w${i}`, 'float16', shape, float32ToHalfArray(w32))
    if (kind === 'f16 → f32') w = g.op('Cast', [w], { to: 1 })
    x = kind === 'float16 MatMul' ? g.op('MatMul', [x, w]) : g.op('Gemm', [x, w], { transB: 1 })
  }
  g.op('Identity', [x], {}, { name: 'y' })
  g.output('y', io, [1, K])
  return g.toBytes().model
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`${2 * L} products of [1, ${K}]·[${N}, ${K}]ᵀ / [1, ${N}]·[${K}, ${N}]ᵀ, ${threads} thread(s), median of ${Math.ceil(reps / 5) * 5} in 5 rounds; onnxruntime-node ${ort.env.versions.node ?? ''}`)
console.log('| weights | ms per chain | weight bytes read |')
console.log('|---|---:|---:|')
const kinds = ['float32', 'float16', 'float16 MatMul', 'f16 → f32'] as const
// Rounds of (load, warm up, time reps/5 runs, release) per kind in turn, so drift on a shared machine
// hits every kind alike; one session at a time, so no idle thread pool spins beside the one timed.
const rounds = 5
const times: number[][] = kinds.map(() => [])
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k]!
    const s = await ort.InferenceSession.create(chain(kind), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
    const feed = { x: isHalf(kind) ? new ort.Tensor('float16', float32ToHalfArray(new Float32Array(K).fill(1)), [1, K]) : new ort.Tensor('float32', new Float32Array(K).fill(1), [1, K]) }
    for (let i = 0; i < 3; i++) await s.run(feed)
    for (let i = 0; i < Math.ceil(reps / rounds); i++) { const t0 = performance.now(); await s.run(feed); times[k]!.push(performance.now() - t0) }
    await s.release()
  }
}
kinds.forEach((kind, k) => {
  const ms = median(times[k]!)
  const bytes = 2 * L * N * K * (isHalf(kind) ? 2 : 4) // in memory: the folded Cast leaves float32
  console.log(`| ${kind} | ${ms.toFixed(2)} | ${(bytes / ms / 1e6).toFixed(1)} GB/s |`)
})
