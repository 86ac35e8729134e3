/**
 * The per-tensor AdamW + clipping graph over several steps against a float64 JavaScript transcription
 * of torch 1.13's `clip_grad_norm_` and `_single_tensor_adamw` (bias corrections for t = 1, 2, 3,
 * a changing learning rate, decay only where the mask is 1); each step's change is held to 1e-6 of
 * itself, which bias corrections computed in float32 (1 − 0.999ᵗ) did not meet.
 */
import { describe, expect, it } from 'vitest'
import { ModelSession, tensor } from '../../../src/core/runtime/ort.js'
import { Tape } from '../../../src/kernels/autodiff/tape.js'
import { Graph } from '../../../src/kernels/onnx/index.js'
import { adamBias, adamw, gradNorm, type AdamWConfig } from '../../../src/kernels/train/adamw.js'
import { flatLayout } from '../../../src/kernels/train/flat.js'
import { randn } from '../ops/gradcheck.js'

// two "tensors": a 3×4 matrix (decayed) and a 5-vector (not decayed)
const layout = flatLayout([{ name: 'w', shape: [3, 4] }, { name: 'norm', shape: [5] }])
const N = layout.total

async function adamwSession(cfg: AdamWConfig): Promise<ModelSession> {
  const g = new Graph({ opset: 17 })
  const t = new Tape(g)
  const lr = g.input('lr', 'float32', [])
  const bias = g.input('bias', 'float32', [2])
  const roles = ['params', 'grad', 'm', 'v'] as const
  const inputs = layout.specs.map((s) => Object.fromEntries(roles.map((r) => [r, g.input(`${r}.${s.name}`, 'float32', s.shape)])) as Record<(typeof roles)[number], string>)
  const grads = inputs.map((x) => x.grad)
  adamw(t, cfg, layout.specs.map((s, i) => ({
    param: inputs[i].params, grad: inputs[i].grad, m: inputs[i].m, v: inputs[i].v, decay: s.shape.length >= 2,
    out: { param: `p_out.${s.name}`, m: `m_out.${s.name}`, v: `v_out.${s.name}` },
  })), lr, bias, gradNorm(t, grads))
  for (const s of layout.specs) for (const o of ['p_out', 'm_out', 'v_out']) g.output(`${o}.${s.name}`, 'float32', s.shape)
  return ModelSession.create(g.toBytes().model, { threads: 1 })
}

/** flat [N] ↔ one feed/output per tensor of `layout` */
function feedsOf(role: string, flat: Float32Array): Record<string, ReturnType<typeof tensor>> {
  return Object.fromEntries(layout.specs.map((s, i) => [`${role}.${s.name}`, tensor('float32', flat.slice(layout.offsets[i], layout.offsets[i] + layout.sizes[i]), s.shape)]))
}
function flatOf(out: Record<string, { data: unknown }>, role: string): Float32Array {
  const flat = new Float32Array(N)
  layout.specs.forEach((s, i) => flat.set(out[`${role}.${s.name}`].data as Float32Array, layout.offsets[i]))
  return flat
}

/** torch: clip_grad_norm_ then AdamW (decoupled decay first), float64 */
function torchStep(cfg: AdamWConfig, p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, lr: number, t: number): void {
  const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0))
  const clip = cfg.gradClip > 0 ? Math.min(cfg.gradClip / (norm + 1e-6), 1) : 1
  const bc1 = 1 - cfg.beta1 ** t
  const bc2 = 1 - cfg.beta2 ** t
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * clip
    if (i < 12) p[i] *= 1 - lr * cfg.weightDecay
    m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * gi
    v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * gi * gi
    p[i] -= (lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + cfg.eps)
  }
}

describe.each([
  ['clipping active', { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 0.5 }],
  ['no clipping, large eps', { beta1: 0.8, beta2: 0.99, eps: 1.0, weightDecay: 0.3, gradClip: 0 }],
  ['PyTorch defaults, clipping active', { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClip: 1 }],
] as const)('flat AdamW vs torch formulas over 3 steps (%s)', (_, cfg) => {
  it('parameters and both moments agree at every step', async () => {
    const s = await adamwSession(cfg)
    // small weights, so float32 storage of p (ulp ~1e-10 here) does not hide the change's own error (~0.01)
    const p64 = randn(N, 1, 1e-3)
    const m64 = new Float64Array(N)
    const v64 = new Float64Array(N)
    let p: Float32Array = Float32Array.from(p64)
    let m: Float32Array = new Float32Array(N)
    let v: Float32Array = new Float32Array(N)
    for (let t = 1; t <= 3; t++) {
      const g = Float32Array.from(randn(N, 10 + t))
      const lr = 0.01 * t
      const before = Float64Array.from(p), mPrev = m, vPrev = v
      torchStep(cfg, p64, Float64Array.from(g), m64, v64, Math.fround(lr), t)
      const out = await s.run({
        ...feedsOf('params', p), ...feedsOf('grad', g), ...feedsOf('m', m), ...feedsOf('v', v),
        lr: tensor('float32', Float32Array.of(lr), []), bias: tensor('float32', Float32Array.from(adamBias(cfg, t)), [2]),
      })
      p = flatOf(out, 'p_out')
      m = flatOf(out, 'm_out')
      v = flatOf(out, 'v_out')
      // the change of this step, ‖Δ − Δ₆₄‖ / ‖Δ₆₄‖ (float32 parameters in, float64 step from the same values)
      const ref = Float64Array.from(before)
      torchStep(cfg, ref, Float64Array.from(g), Float64Array.from(mPrev), Float64Array.from(vPrev), Math.fround(lr), t)
      let num = 0, den = 0
      for (let i = 0; i < N; i++) { num += (p[i] - ref[i]) ** 2; den += (ref[i] - before[i]) ** 2 }
      expect(Math.sqrt(num / den), `relative error of the change at step ${t}`).toBeLessThan(1e-6)
      for (let i = 0; i < N; i++) {
        expect(Math.abs(p[i] - p64[i]), `param ${i} at step ${t}`).toBeLessThan(1e-6)
        expect(Math.abs(m[i] - m64[i]), `m ${i} at step ${t}`).toBeLessThan(1e-6)
        expect(Math.abs(v[i] - v64[i]), `v ${i} at step ${t}`).toBeLessThan(1e-6)
      }
    }
    await s.release()
  })
})
