import { describe, it } from 'vitest'
import { linear } from '../../../src/kernels/ops/linear.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { linearRef } from './reference.js'

describe('linear (x @ Wᵀ)', () => {
  it('forward and both gradients match float64 finite differences', async () => {
    const [M, K, N] = [5, 4, 3]
    const r = await gradcheck(
      (t, [x, w]) => linear(t, x, w),
      [{ name: 'x', shape: [M, K], data: randn(M * K, 1) }, { name: 'w', shape: [N, K], data: randn(N * K, 2) }],
      [],
      ([x, w]) => linearRef(x, w, M, K, N),
    )
    expectClose(r)
  })
})
