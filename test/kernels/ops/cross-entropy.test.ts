import { describe, it } from 'vitest'
import { crossEntropy } from '../../../src/kernels/ops/cross-entropy.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { crossEntropyRef } from './reference.js'

describe('cross-entropy with ignored targets', () => {
  const [M, V] = [6, 5]
  const run = (targets: number[], seed: number) => gradcheck(
    (t, [logits], [tg]) => crossEntropy(t, logits, tg),
    [{ name: 'logits', shape: [M, V], data: randn(M * V, seed, 2) }],
    [{ name: 'targets', shape: [M], data: targets }],
    ([logits], [tg]) => crossEntropyRef(logits, tg, V),
  )
  it('mean over non-ignored targets (−100 and other negatives ignored), with its gradient', async () => {
    expectClose(await run([3, -100, 0, 4, -1, 3], 31))
  })
  it('all targets valid', async () => {
    expectClose(await run([0, 1, 2, 3, 4, 0], 32))
  })
  it('all targets ignored gives loss 0 and zero gradient (not NaN)', async () => {
    expectClose(await run([-100, -100, -100, -100, -100, -100], 33))
  })
})
