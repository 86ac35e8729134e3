/**
 * Global-norm gradient clipping and AdamW, one short chain of elementwise ops per parameter
 * tensor (each chain stays on one tensor of at most a few MB, so its intermediates stay in
 * cache; scalars are folded into the coefficients so each pass does real work).
 *
 * PyTorch semantics (torch 1.13 `clip_grad_norm_`, `torch.optim.AdamW` single-tensor path):
 *   norm  = ‖g‖₂ over all parameters;  clip = min(max_norm / (norm + 1e-6), 1)  (when gradClip > 0)
 *   g'    = clip · g
 *   p    ← p · (1 − lr·wd)              decoupled weight decay, FIRST, only for tensors of 2+ dims
 *   m    ← β₁ m + (1 − β₁) g'
 *   v    ← β₂ v + (1 − β₂) g'²
 *   p    ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)
 * computed as p − s · m / (√v + e) with s = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ) and e = eps·√(1 − β₂ᵗ) (the
 * same quotient with numerator and denominator times √(1 − β₂ᵗ): one [n] pass fewer).
 * `lr` is a graph input; so is `bias` = [√(1 − β₂ᵗ) / (1 − β₁ᵗ), eps·√(1 − β₂ᵗ)] for the 1-based step
 * t, computed on the host in float64 (`adamBias`) as PyTorch computes its bias corrections in
 * Python floats: in float32 1 − 0.999ᵗ loses ~1e-5 of itself to cancellation at t = 1, which moved
 * every tensor's first change by ~7e-6 relative.
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

/** The `bias` input for the 1-based step t: [√(1 − β₂ᵗ) / (1 − β₁ᵗ), eps·√(1 − β₂ᵗ)], in float64. */
export function adamBias(cfg: AdamWConfig, t: number): [number, number] {
  const sqrtBc2 = Math.sqrt(1 - cfg.beta2 ** t)
  return [sqrtBc2 / (1 - cfg.beta1 ** t), cfg.eps * sqrtBc2]
}

/** ‖g‖₂ over all the given tensors, as a float32 scalar. */
export function gradNorm(t: Tape, grads: readonly string[]): string {
  const squares = grads.map((g) => t.g.op('ReduceSumSquare', [g], { keepdims: 0 }))
  return t.g.op('Sqrt', [squares.length === 1 ? squares[0] : t.g.op('Sum', squares)])
}

/** One parameter tensor: its graph values, whether weight decay applies, and the output names. */
export interface AdamWTensor {
  param: string
  grad: string
  m: string
  v: string
  decay: boolean
  /** names for the results (graph outputs are produced directly, no copying Identity) */
  out: { param: string; m: string; v: string }
}

/** `norm` is ‖grad‖₂ over all tensors (gradNorm), used for clipping; `bias` is float32 [2] (adamBias). */
export function adamw(t: Tape, cfg: AdamWConfig, tensors: readonly AdamWTensor[], lr: string, bias: string, norm: string): void {
  const g = t.g
  const op = (type: string, ...inputs: string[]): string => g.op(type, inputs)
  const one = t.scalar(1)

  // scalars
  const clip = cfg.gradClip > 0
    ? op('Min', op('Div', t.scalar(cfg.gradClip), op('Add', norm, t.scalar(1e-6))), one)
    : one
  const c1 = op('Mul', t.scalar(1 - cfg.beta1), clip)
  const c2 = op('Mul', t.scalar(1 - cfg.beta2), op('Mul', clip, clip))
  const at = (i: number): string => g.op('Gather', [bias, g.const('int64', [], [i])], { axis: 0 })
  const stepSize = op('Mul', lr, at(0))
  const eps = at(1)
  const keep = cfg.weightDecay !== 0 ? op('Sub', one, op('Mul', lr, t.scalar(cfg.weightDecay))) : undefined
  const beta1 = t.scalar(cfg.beta1)
  const beta2 = t.scalar(cfg.beta2)

  // per tensor: 12 passes (13 with decay) over its n values
  for (const x of tensors) {
    const m = g.op('Add', [op('Mul', x.m, beta1), op('Mul', x.grad, c1)], {}, { name: x.out.m })
    const v = g.op('Add', [op('Mul', x.v, beta2), op('Mul', op('Mul', x.grad, x.grad), c2)], {}, { name: x.out.v })
    const update = op('Mul', op('Div', m, op('Add', op('Sqrt', v), eps)), stepSize)
    const p = keep && x.decay ? op('Mul', x.param, keep) : x.param
    g.op('Sub', [p, update], {}, { name: x.out.param })
  }
}
