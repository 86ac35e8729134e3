import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Decoder } from '../../../src/core/runtime/decoder.js'
import { floatToHalf, halfToFloat, halfToFloat32Array } from '../../../src/core/runtime/fp16.js'
import { greedyBatch } from '../../../src/core/generate/batch.js'
import { needs, SHARED, shared } from '../../helpers.js'

const GPT2 = shared('models/ortgenai-tiny-random-gpt2-fp32')
const LLAMA16 = shared('models/ortgenai-tiny-random-llama-fp16')
const STORIES = shared('models/stories260K-onnx/model.onnx')

describe('fp16 conversion', () => {
  it('round-trips every half bit pattern and rounds to nearest even', () => {
    for (let h = 0; h < 65536; h++) {
      const f = halfToFloat(h)
      if (Number.isNaN(f)) { expect(floatToHalf(f) & 0x7c00).toBe(0x7c00); continue }
      expect(floatToHalf(f)).toBe(h)
    }
    expect(halfToFloat(0x3c00)).toBe(1)
    expect(halfToFloat(0x0001)).toBe(2 ** -24)
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00) // halfway between 1 and next: ties to even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02)
    expect(floatToHalf(70000)).toBe(0x7c00)
    expect(Array.from(halfToFloat32Array(Uint16Array.from([0x3c00, 0xc000]), 1))).toEqual([-2])
  })
})

/**
 * Cached decoding must give the logits of a full recomputation: prefill 4 tokens, then decode one
 * token at a time, and compare each position's logits with one cache-less run over the whole
 * sequence. float32 models: within 1e-4. float16 models round every intermediate tensor to half
 * precision (unit roundoff 2^-11 relative), and the cached path (attention over a past) rounds at
 * different points than the full one, so logits differ by about one half-precision step of the
 * hidden state: measured 2.4e-4 on tiny-random-llama-fp16 (|logits| <= 0.38). There the bound is
 * 1e-4 + 2^-11 * max|logit|, and the greedy choice at every position must agree.
 */
async function maxCachedVsFull(file: string, seq: number[]): Promise<{ maxDiff: number; bound: number; fp16: boolean; argmaxAgree: boolean }> {
  const d = await Decoder.open(file)
  try {
    const full = await d.forward({ ids: seq, batch: 1, cache: d.emptyCache(1), logits: 'all' })
    const V = full.vocabSize
    const fp16 = d.info.kvType === 'float16'
    let maxAbs = 0
    for (const x of full.logits) maxAbs = Math.max(maxAbs, Math.abs(x))
    let maxDiff = 0
    let argmaxAgree = true
    const argmax = (a: Float32Array, off: number): number => { let b = 0; for (let v = 1; v < V; v++) if (a[off + v]! > a[off + b]!) b = v; return b }
    const compare = (pos: number, row: Float32Array): void => {
      for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(row[v]! - full.logits[pos * V + v]!))
      if (argmax(row, 0) !== argmax(full.logits, pos * V)) argmaxAgree = false
    }
    let out = await d.forward({ ids: seq.slice(0, 4), batch: 1, cache: d.emptyCache(1), logits: 'all' })
    for (let p = 0; p < 4; p++) compare(p, out.logits.subarray(p * V, (p + 1) * V))
    for (let p = 4; p < seq.length; p++) {
      out = await d.forward({ ids: [seq[p]!], batch: 1, cache: out.cache })
      expect(out.cache.length).toBe(p + 1)
      compare(p, out.logits)
    }
    return { maxDiff, fp16, argmaxAgree, bound: fp16 ? 1e-4 + 2 ** -11 * maxAbs : 1e-4 }
  } finally {
    await d.release()
  }
}

needs(SHARED).describe('Decoder on real exports', () => {
  it('onnxruntime-genai GPT-2 (fused past_i, int32, com.microsoft ops) reproduces golden_greedy.json', async () => {
    const golden = JSON.parse(readFileSync(`${GPT2}/golden_greedy.json`, 'utf8')) as { input_ids: number[][]; max_length: number; expected_output: number[][] }
    const d = await Decoder.open(`${GPT2}/past.onnx`)
    try {
      expect(d.info.cache.kind).toBe('fused')
      expect(d.info.idType).toBe('int32')
      // The golden's notes: the leading 0s are NOT padding (all-ones mask, positions 0..n-1).
      const rows = await greedyBatch(d, golden.input_ids, { maxLength: golden.max_length, padId: 0, rawRows: true })
      expect(rows).toEqual(golden.expected_output)
    } finally {
      await d.release()
    }
  })

  it('left padding with a real mask gives each row its unpadded result', async () => {
    const d = await Decoder.open(`${GPT2}/past.onnx`)
    try {
      const prompts = [[52], [195, 731, 14], [7, 8]]
      const batched = await greedyBatch(d, prompts, { maxLength: 3 + 6, padId: 0 })
      for (let b = 0; b < prompts.length; b++) {
        const alone = await greedyBatch(d, [prompts[b]!], { maxLength: prompts[b]!.length + 6, padId: 0 })
        expect(batched[b]!.slice(3 - prompts[b]!.length)).toEqual(alone[0])
      }
    } finally {
      await d.release()
    }
  })

  it('GPT-2 fp32: cached decode matches full recomputation within 1e-4', async () => {
    const r = await maxCachedVsFull(`${GPT2}/past.onnx`, [5, 17, 99, 3, 250, 41, 7, 300, 12, 64])
    expect(r.maxDiff, `max |cached - full| = ${r.maxDiff}`).toBeLessThan(1e-4)
    expect(r.argmaxAgree).toBe(true)
  })

  it('Llama fp16 with external data: runs, Uint16 cache, cached decode matches within the float16 bound', async () => {
    const r = await maxCachedVsFull(`${LLAMA16}/model.onnx`, [1, 450, 4996, 17354, 1701, 432, 29889, 13, 306, 2])
    expect(r.fp16).toBe(true)
    expect(r.maxDiff, `max |cached - full| = ${r.maxDiff}, bound ${r.bound}`).toBeLessThan(r.bound)
    expect(r.argmaxAgree).toBe(true)
  })

  it('stories260K ONNX (input_ids only, no mask/positions declared): cached decode within 1e-4', async () => {
    const r = await maxCachedVsFull(STORIES, [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315])
    expect(r.maxDiff, `max |cached - full| = ${r.maxDiff}`).toBeLessThan(1e-4)
  })

  it('stories260K ONNX: 200 greedy cached steps from BOS reproduce llama2.c', async () => {
    const golden = JSON.parse(readFileSync(shared('models/stories260K/golden_greedy_200.json'), 'utf8')) as { greedy_token_ids_including_bos: number[] }
    const d = await Decoder.open(STORIES)
    try {
      const rows = await greedyBatch(d, [[1]], { maxLength: golden.greedy_token_ids_including_bos.length, padId: 0 })
      expect(rows[0]).toEqual(golden.greedy_token_ids_including_bos)
    } finally {
      await d.release()
    }
  })
})

needs(SHARED).describe('Decoder errors', () => {
  let d: Decoder
  beforeAll(async () => { d = await Decoder.open(`${GPT2}/past.onnx`) })
  afterAll(async () => { await d.release() })

  it('rejects a cache of the wrong batch', async () => {
    await expect(d.forward({ ids: [1, 2], batch: 2, cache: d.emptyCache(1) })).rejects.toThrow(/cache has 1 rows/)
  })

  it('names the file when the ONNX is not a decoder or not ONNX at all', async () => {
    await expect(Decoder.open(`${GPT2}/tokenizer.json`)).rejects.toThrow(/cannot load ONNX model/)
  })
})

