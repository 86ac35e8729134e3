import { describe, it } from 'vitest'
import { rope, ropeTables } from '../../../src/kernels/ops/rope.js'
import { defaultInvFreq, type Rope } from '../../../src/kernels/model/rope.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { ropeRef } from './reference.js'

const fullRope = (theta: number, D: number): Rope => ({ kind: 'default', theta, rotaryDim: D, invFreq: defaultInvFreq(theta, D), attentionScaling: 1 })

describe('RoPE (Hugging Face rotate-half)', () => {
  it('matches an explicit rotate_half reference, forward and backward', async () => {
    const [B, H, T, D, theta] = [2, 2, 5, 8, 10000]
    const r = await gradcheck(
      (t, [x]) => rope(t, x, ropeTables(t, fullRope(theta, D), D, T)),
      [{ name: 'x', shape: [B, H, T, D], data: randn(B * H * T * D, 6) }],
      [],
      ([x]) => ropeRef(x, B, H, T, D, theta),
    )
    // the tables are float32-rounded the way PyTorch computes them; the reference is float64
    expectClose(r, { forward: 2e-6, grad: 1e-4 })
  })

  it('partial rotary (Phi-3): the first R dims rotate with R/2 frequencies, the rest pass through', async () => {
    const [B, H, T, D, R, theta] = [1, 2, 4, 8, 4, 10000]
    const partial: Rope = { kind: 'default', theta, rotaryDim: R, invFreq: defaultInvFreq(theta, R), attentionScaling: 1 }
    const r = await gradcheck(
      (t, [x]) => rope(t, x, ropeTables(t, partial, D, T)),
      [{ name: 'x', shape: [B, H, T, D], data: randn(B * H * T * D, 8) }],
      [],
      ([x]) => {
        // rotate the first R dims of each [D] row as a head of size R, copy the rest
        const out = new Float64Array(x.length)
        const rot = ropeRef(Float64Array.from({ length: B * H * T * R }, (_, i) => x[Math.floor(i / R) * D + (i % R)]), B, H, T, R, theta)
        for (let row = 0; row < B * H * T; row++) for (let d = 0; d < D; d++) out[row * D + d] = d < R ? rot[row * R + d] : x[row * D + d]
        return out
      },
    )
    expectClose(r, { forward: 2e-6, grad: 1e-4 })
  })
})
