import { describe, it } from 'vitest'
import { attentionMask, causalAttention, causalMask } from '../../../src/kernels/ops/attention.js'
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

describe('attention masks: sliding window and packed segments', () => {
  const [B, NH, NKV, T, D] = [2, 4, 2, 6, 3]
  const inputs = [
    { name: 'q', shape: [B, NH, T, D], data: randn(B * NH * T * D, 31) },
    { name: 'k', shape: [B, NKV, T, D], data: randn(B * NKV * T * D, 32) },
    { name: 'v', shape: [B, NKV, T, D], data: randn(B * NKV * T * D, 33) },
  ]
  it('window 3: key j visible from i when 0 ≤ i − j < 3 (Mistral)', async () => {
    const r = await gradcheck((t, [q, k, v]) => causalAttention(t, q, k, v, attentionMask(t, T, 3)), inputs, [],
      ([q, k, v]) => attentionRef(q, k, v, B, NH, NKV, T, D, (_b, i, j) => j <= i && i - j < 3))
    expectClose(r)
  })
  it('segments: packed samples never see each other, per row ([B, 1, T, T] mask)', async () => {
    const seg = [1, 1, 2, 2, 2, 3, /* row 2 */ 1, 2, 2, 2, 2, 0]
    const r = await gradcheck((t, [q, k, v], [s]) => causalAttention(t, q, k, v, attentionMask(t, T, 0, s)), inputs,
      [{ name: 'seg', shape: [B, T], data: seg }],
      ([q, k, v]) => attentionRef(q, k, v, B, NH, NKV, T, D, (b, i, j) => j <= i && seg[b * T + i] === seg[b * T + j]))
    expectClose(r)
  })
})
