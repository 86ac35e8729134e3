/**
 * Finite-difference checking of backward rules.
 *
 * An op family is wrapped in a tiny graph: float inputs become watched leaves, the op's output y
 * is contracted with a fixed random tensor R (loss = Σ y·R, so the seed gradient is R), and the
 * graph returns y and every input's gradient computed by our backward rules in onnxruntime
 * (float32). Independently, a plain-JS float64 reference of the op's forward is differentiated by
 * central differences (h = 1e-6, every coordinate: inputs are tiny) — so each rule is checked
 * against float64 math, and the forward against the same reference.
 */
import { gradients, Tape, type Value } from '../../../src/kernels/autodiff/index.js'
import { Graph } from '../../../src/kernels/onnx/index.js'
import { ModelSession, tensor, type Feeds } from '../../../src/core/runtime/ort.js'
import { Rng } from '../../../src/core/rng.js'

export interface FloatInput { name: string; shape: number[]; data: Float64Array }
export interface IntInput { name: string; shape: number[]; data: number[] }
export type Reference = (xs: Float64Array[]) => Float64Array

export function randn(n: number, seed: number, scale = 1): Float64Array {
  const rng = Rng.fromSeed(seed)
  const u = () => rng.next()
  // sum of uniforms: bounded, roughly normal, and never near a kink of any op we test
  return Float64Array.from({ length: n }, () => (u() + u() + u() - 1.5) * 2 * scale)
}

export interface CheckResult {
  forwardMaxErr: number
  /** per input: max |analytic − numeric| / max(|numeric|) and where */
  grads: { name: string; relErr: number; at: number; analytic: number; numeric: number }[]
  summary: string
}

export async function gradcheck(
  build: (t: Tape, xs: Value[], ints: string[]) => Value,
  floats: FloatInput[],
  ints: IntInput[],
  reference: (xs: Float64Array[], ints: number[][]) => Float64Array,
  seed = 7,
): Promise<CheckResult> {
  const g = new Graph({ name: 'gradcheck', opset: 17, msOpset: 1 })
  const t = new Tape(g)
  const leaves = floats.map((f) => t.watch({ name: g.input(f.name, 'float32', f.shape), shape: f.shape }))
  const intNames = ints.map((i) => g.input(i.name, 'int64', i.shape))
  const y = build(t, leaves, intNames)
  const n = y.shape.reduce((a, b) => a * b, 1)
  const R = randn(n, seed + 1000)
  const r = g.initializer('R', 'float32', [...y.shape], Float32Array.from(R))
  const grads = gradients(t, y, leaves, { seed: r })
  g.output(y.name, 'float32', [...y.shape])
  const outNames = leaves.map((l) => {
    const name = `grad_${l.name}`
    g.op('Identity', [grads.get(l.name)!], {}, { name })
    g.output(name, 'float32', [...l.shape])
    return name
  })
  const session = await ModelSession.create(g.toBytes().model, { threads: 1 })
  const feeds: Feeds = {}
  floats.forEach((f) => { feeds[f.name] = tensor('float32', Float32Array.from(f.data), f.shape) })
  ints.forEach((i) => { feeds[i.name] = tensor('int64', BigInt64Array.from(i.data.map(BigInt)), i.shape) })
  const out = await session.run(feeds)
  await session.release()

  // The reference sees the float32-rounded inputs ORT saw.
  const xs = floats.map((f) => Float64Array.from(Float32Array.from(f.data)))
  const intData = ints.map((i) => i.data)
  const yRef = reference(xs, intData)
  const yOrt = out[y.name].data as Float32Array
  let forwardMaxErr = 0
  for (let i = 0; i < n; i++) forwardMaxErr = Math.max(forwardMaxErr, Math.abs(yRef[i] - yOrt[i]))

  const loss = (): number => {
    const v = reference(xs, intData)
    let s = 0
    for (let i = 0; i < n; i++) s += v[i] * R[i]
    return s
  }
  const h = 1e-6
  const results = floats.map((f, k) => {
    const x = xs[k]
    const analytic = out[outNames[k]].data as Float32Array
    let maxNum = 0
    let worst = { relErr: 0, at: -1, analytic: 0, numeric: 0 }
    const numeric = new Float64Array(x.length)
    for (let i = 0; i < x.length; i++) {
      const keep = x[i]
      x[i] = keep + h
      const up = loss()
      x[i] = keep - h
      const down = loss()
      x[i] = keep
      numeric[i] = (up - down) / (2 * h)
      maxNum = Math.max(maxNum, Math.abs(numeric[i]))
    }
    for (let i = 0; i < x.length; i++) {
      const err = Math.abs(analytic[i] - numeric[i]) / Math.max(maxNum, 1e-12)
      if (err > worst.relErr || worst.at < 0) worst = { relErr: err, at: i, analytic: analytic[i], numeric: numeric[i] }
    }
    return { name: f.name, ...worst }
  })
  const summary = [`forward max |ort − ref| = ${forwardMaxErr.toExponential(2)}`,
    ...results.map((r) => `d/d${r.name}: max rel err ${r.relErr.toExponential(2)} at [${r.at}] (analytic ${r.analytic.toExponential(4)}, numeric ${r.numeric.toExponential(4)})`)].join('\n')
  return { forwardMaxErr, grads: results, summary }
}

/** Fail with the whole summary (max difference and where) when any check is off. */
export function expectClose(r: CheckResult, tol = { forward: 1e-5, grad: 1e-4 }): void {
  const bad = r.forwardMaxErr > tol.forward || r.grads.some((x) => !(x.relErr <= tol.grad))
  if (bad) throw new Error(`gradient check failed (tolerance forward ${tol.forward}, grad ${tol.grad}):\n${r.summary}`)
}
