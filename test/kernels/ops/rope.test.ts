import { describe, it } from 'vitest'
import { rope, ropeTables } from '../../../src/kernels/ops/rope.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { ropeRef } from './reference.js'

describe('RoPE (Hugging Face rotate-half)', () => {
  it('matches an explicit rotate_half reference, forward and backward', async () => {
    const [B, H, T, D, theta] = [2, 2, 5, 8, 10000]
    const r = await gradcheck(
      (t, [x]) => rope(t, x, ropeTables(t, T, D, theta)),
      [{ name: 'x', shape: [B, H, T, D], data: randn(B * H * T * D, 6) }],
      [],
      ([x]) => ropeRef(x, B, H, T, D, theta),
    )
    // the tables are float32-rounded the way PyTorch computes them; the reference is float64
    expectClose(r, { forward: 2e-6, grad: 1e-4 })
  })
})
