import { describe, it, expect } from 'vitest'
import { learningRate } from '../../../src/core/train/schedule.js'

describe('learning-rate schedule (nanoGPT get_lr)', () => {
  const s = { kind: 'cosine' as const, lr: 1e-3, minLr: 1e-4, warmup: 100, steps: 2000 }
  it('linear warm-up, then cosine from lr to min-lr', () => {
    expect(learningRate(s, 0)).toBeCloseTo(1e-5, 12)
    expect(learningRate(s, 49)).toBeCloseTo(5e-4, 12)
    expect(learningRate(s, 99)).toBeCloseTo(1e-3, 12)
    expect(learningRate(s, 100)).toBeCloseTo(1e-3, 12)
    expect(learningRate(s, 1050)).toBeCloseTo(5.5e-4, 12) // half way: (lr + min) / 2
    expect(learningRate(s, 575)).toBeCloseTo(1e-4 + 0.5 * (1 + Math.cos(Math.PI / 4)) * 9e-4, 12)
    expect(learningRate(s, 2000)).toBeCloseTo(1e-4, 12)
    expect(learningRate(s, 5000)).toBeCloseTo(1e-4, 12)
  })
  it('constant keeps lr after warm-up; no warm-up means lr from step 0', () => {
    expect(learningRate({ ...s, kind: 'constant' }, 1500)).toBe(1e-3)
    expect(learningRate({ ...s, kind: 'constant', warmup: 0 }, 0)).toBe(1e-3)
  })
})
