import { describe, it } from 'vitest'
import { add, addBias, reshape, scale, splitLast, transpose } from '../../../src/kernels/ops/shape.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'

describe('plumbing ops (reshape, transpose, split, add) and fan-out accumulation', () => {
  it('a composite that reuses x twice differentiates like its float64 reference', async () => {
    // y = transpose(reshape(a, [2,3,4]), [1,2,0])  then split last axis 1+1 and add the halves,
    // plus x itself (fan-out: x is read twice)
    const r = await gradcheck(
      (t, [x]) => {
        const a = transpose(t, reshape(t, x, [2, 3, 4]), [1, 2, 0]) // [3, 4, 2]
        const [p, q] = splitLast(t, a, [1, 1]) // [3, 4, 1] each
        const s = add(t, p, q)
        const firstColumn = splitLast(t, reshape(t, x, [12, 2]), [1, 1])[0] // [12, 1], second piece gets no gradient
        return add(t, reshape(t, s, [12]), reshape(t, firstColumn, [12]))
      },
      [{ name: 'x', shape: [6, 4], data: randn(24, 41) }],
      [],
      ([x]) => {
        const y = new Float64Array(12)
        // a[i, j, k] = x3[k, i, j] with x3 = x viewed [2, 3, 4]; s[i, j] = a[i, j, 0] + a[i, j, 1]
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) y[i * 4 + j] = x[0 * 12 + i * 4 + j] + x[1 * 12 + i * 4 + j]
        // + x viewed [12, 2], first column
        for (let m = 0; m < 12; m++) y[m] += x[m * 2]
        return y
      },
    )
    expectClose(r)
  })
})

describe('scale and addBias', () => {
  it('y = (x · 1.5) + b: gradients of x and b (Σ over rows) match finite differences', async () => {
    const [M, N] = [3, 4]
    const r = await gradcheck(
      (t, [x, b]) => addBias(t, scale(t, x, 1.5), b),
      [{ name: 'x', shape: [M, N], data: randn(M * N, 51) }, { name: 'b', shape: [N], data: randn(N, 52) }],
      [],
      ([x, b]) => x.map((v, i) => v * 1.5 + b[i % N]),
    )
    expectClose(r)
  })
})
