import { describe, it } from 'vitest'
import { geluTanhGate, siluGate } from '../../../src/kernels/ops/mlp.js'
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

describe('GELU-tanh gate (gelu_pytorch_tanh(gate) · up, Gemma)', () => {
  it('forward and both gradients match float64 finite differences', async () => {
    const [M, H] = [3, 7]
    const gelu = (z: number) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)))
    const r = await gradcheck(
      (t, [gate, up]) => geluTanhGate(t, gate, up),
      [{ name: 'gate', shape: [M, H], data: randn(M * H, 23, 3) }, { name: 'up', shape: [M, H], data: randn(M * H, 24) }],
      [],
      ([gate, up]) => gate.map((g, i) => gelu(g) * up[i]),
    )
    expectClose(r)
  })
})
