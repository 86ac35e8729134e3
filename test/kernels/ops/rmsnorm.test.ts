import { describe, it } from 'vitest'
import { rmsNorm, rmsNormPlain } from '../../../src/kernels/ops/rmsnorm.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { rmsNormRef } from './reference.js'

describe.each([['fused kernel', rmsNorm], ['standard ops', rmsNormPlain]] as const)('RMSNorm (%s)', (_, norm) => {
  it('forward and gradients (x and weight) match float64 finite differences', async () => {
    const [M, C, eps] = [4, 6, 1e-5]
    const w = randn(C, 5).map((v) => 1 + 0.3 * v)
    const r = await gradcheck(
      (t, [x, wv]) => norm(t, x, wv, eps),
      [{ name: 'x', shape: [M, C], data: randn(M * C, 4) }, { name: 'w', shape: [C], data: w }],
      [],
      ([x, wv]) => rmsNormRef(x, wv, M, C, eps),
    )
    expectClose(r)
  })
})

describe('RMSNorm with offset 1 (Gemma: x · rstd · (1 + w))', () => {
  it('forward and gradients match float64 finite differences', async () => {
    const [M, C, eps] = [4, 6, 1e-6]
    const w = randn(C, 9).map((v) => 0.3 * v)
    const r = await gradcheck(
      (t, [x, wv]) => rmsNorm(t, x, wv, eps, 1),
      [{ name: 'x', shape: [M, C], data: randn(M * C, 10) }, { name: 'w', shape: [C], data: w }],
      [],
      ([x, wv]) => rmsNormRef(x, wv.map((v) => 1 + v), M, C, eps),
    )
    expectClose(r)
  })
})
