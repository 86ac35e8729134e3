/**
 * Global-norm gradient clipping and AdamW over the flat buffers, as one short run of elementwise
 * ops on [N] (scalars are folded into the coefficients so each [N] pass does real work).
 *
 * PyTorch semantics (torch 1.13 `clip_grad_norm_`, `torch.optim.AdamW` single-tensor path):
 *   norm  = ‖g‖₂ over all parameters;  clip = min(max_norm / (norm + 1e-6), 1)  (when gradClip > 0)
 *   g'    = clip · g
 *   p    ← p · (1 − lr·wd)              decoupled weight decay, FIRST, only where mask (2+ dims)
 *   m    ← β₁ m + (1 − β₁) g'
 *   v    ← β₂ v + (1 − β₂) g'²
 *   p    ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)
 * `lr` and the 1-based step count `t` are graph inputs (float32 scalars).
 */
import type { Tape } from '../autodiff/tape.js'

export interface AdamWConfig {
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
  /** max global gradient norm; 0 = no clipping */
  gradClip: number
}

/** ‖g‖₂ as a float32 scalar. */
export function gradNorm(t: Tape, grad: string): string {
  return t.g.op('Sqrt', [t.g.op('ReduceSumSquare', [grad], { keepdims: 0 })])
}

export interface AdamWNames {
  params: string
  grad: string
  m: string
  v: string
  lr: string
  step: string
  /** ‖grad‖₂ (scalar), used for clipping */
  norm: string
  /** float32 [N]: 1 where weight decay applies, else 0 */
  decayMask: string
}

/** `out` names the three results (graph outputs are produced directly, no copying Identity). */
export function adamw(t: Tape, cfg: AdamWConfig, n: AdamWNames, out: { params: string; m: string; v: string }): void {
  const g = t.g
  const op = (type: string, ...inputs: string[]): string => g.op(type, inputs)
  const one = t.scalar(1)

  // scalars
  const clip = cfg.gradClip > 0
    ? op('Min', op('Div', t.scalar(cfg.gradClip), op('Add', n.norm, t.scalar(1e-6))), one)
    : one
  const c1 = op('Mul', t.scalar(1 - cfg.beta1), clip)
  const c2 = op('Mul', t.scalar(1 - cfg.beta2), op('Mul', clip, clip))
  const bc1 = op('Sub', one, op('Pow', t.scalar(cfg.beta1), n.step))
  const bc2 = op('Sub', one, op('Pow', t.scalar(cfg.beta2), n.step))
  const stepSize = op('Div', n.lr, bc1)
  const invSqrtBc2 = op('Reciprocal', op('Sqrt', bc2))

  // [N] passes
  const m = g.op('Add', [op('Mul', n.m, t.scalar(cfg.beta1)), op('Mul', n.grad, c1)], {}, { name: out.m })
  const v = g.op('Add', [op('Mul', n.v, t.scalar(cfg.beta2)), op('Mul', op('Mul', n.grad, n.grad), c2)], {}, { name: out.v })
  const denom = op('Add', op('Mul', op('Sqrt', v), invSqrtBc2), t.scalar(cfg.eps))
  const update = op('Mul', op('Div', m, denom), stepSize)
  let p = n.params
  if (cfg.weightDecay !== 0) {
    // p − lr·wd·mask·p  (= p·(1 − lr·wd) where the mask is 1)
    p = op('Sub', p, op('Mul', op('Mul', p, n.decayMask), op('Mul', n.lr, t.scalar(cfg.weightDecay))))
  }
  g.op('Sub', [p, update], {}, { name: out.params })
}
