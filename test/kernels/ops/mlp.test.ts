import { describe, it } from 'vitest'
import { siluGate } from '../../../src/kernels/ops/mlp.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { siluGateRef } from './reference.js'

describe('SiLU gate (silu(gate) · up)', () => {
  it('forward and both gradients match float64 finite differences', async () => {
    const [M, H] = [3, 7]
    const r = await gradcheck(
      (t, [gate, up]) => siluGate(t, gate, up),
      [{ name: 'gate', shape: [M, H], data: randn(M * H, 21, 3) }, { name: 'up', shape: [M, H], data: randn(M * H, 22) }],
      [],
      ([gate, up]) => siluGateRef(gate, up),
    )
    expectClose(r)
  })
})
