import { describe, it } from 'vitest'
import { embedding } from '../../../src/kernels/ops/embedding.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { embeddingRef } from './reference.js'

describe('embedding (Gather, scatter-add backward)', () => {
  it('accumulates repeated ids and leaves unused rows at zero', async () => {
    const [V, C] = [6, 3]
    const ids = [2, 0, 2, 5, 2, 1, 0]
    const r = await gradcheck(
      (t, [w], [idsName]) => embedding(t, w, idsName, ids.length),
      [{ name: 'w', shape: [V, C], data: randn(V * C, 3) }],
      [{ name: 'ids', shape: [ids.length], data: ids }],
      ([w], [i]) => embeddingRef(w, i, C),
    )
    expectClose(r)
  })
})
