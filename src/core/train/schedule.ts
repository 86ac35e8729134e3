/**
 * Learning-rate schedule, nanoGPT's `get_lr` (karpathy/nanoGPT train.py):
 *   warmup:  step s < W → lr · (s + 1) / W   (linear from lr/W up to lr)
 *   cosine:  then min_lr + ½(1 + cos(π · (s − W) / (S − W))) · (lr − min_lr) down to min_lr at S
 *   constant: lr after the warmup
 * `s` counts optimisation steps from 0; S = total steps.
 */
export type ScheduleKind = 'cosine' | 'constant'

export interface Schedule { kind: ScheduleKind; lr: number; minLr: number; warmup: number; steps: number }

export function learningRate(s: Schedule, step: number): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup
  if (s.kind === 'constant') return s.lr
  const span = s.steps - s.warmup
  if (span <= 0 || step >= s.steps) return s.minLr
  const ratio = (step - s.warmup) / span
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.lr - s.minLr)
}
