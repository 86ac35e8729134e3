import { describe, it } from 'vitest'
import { causalAttention, causalMask } from '../../../src/kernels/ops/attention.js'
import { expectClose, gradcheck, randn } from './gradcheck.js'
import { attentionRef } from './reference.js'

async function check(B: number, NH: number, NKV: number, T: number, D: number): Promise<void> {
  const r = await gradcheck(
    (t, [q, k, v]) => causalAttention(t, q, k, v, causalMask(t, T)),
    [
      { name: 'q', shape: [B, NH, T, D], data: randn(B * NH * T * D, 11) },
      { name: 'k', shape: [B, NKV, T, D], data: randn(B * NKV * T * D, 12) },
      { name: 'v', shape: [B, NKV, T, D], data: randn(B * NKV * T * D, 13) },
    ],
    [],
    ([q, k, v]) => attentionRef(q, k, v, B, NH, NKV, T, D),
  )
  expectClose(r)
}

describe('causal attention', () => {
  it('multi-head (NKV = NH): forward and q/k/v gradients match float64 finite differences', async () => {
    await check(2, 2, 2, 4, 3)
  })
  it('grouped-query (NH = 3·NKV): K/V gradients sum over the query group', async () => {
    await check(1, 6, 2, 5, 4)
  })
})
