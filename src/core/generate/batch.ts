/**
 * Batched greedy decoding of several prompts at once, left-padded to a common length (as
 * Hugging Face and onnxruntime-genai batch decoder-only models): pads get attention-mask 0 and
 * position 0, real tokens count positions from their own first token, and every step appends one
 * token per row. Rows that reach EOS keep receiving `padId` (mask 1, as HF does after EOS).
 */
import type { Decoder } from '../runtime/decoder.js'

export interface BatchGreedyOptions {
  /** total length of each row at the end, prompt included (HF/genai `max_length`) */
  maxLength: number
  padId: number
  eosIds?: readonly number[]
  /**
   * Treat the rows as given, without padding semantics: all-ones mask and positions 0..n-1 even
   * for leading pad ids (how onnxruntime-genai's C API test produced its golden output).
   */
  rawRows?: boolean
}

/** Returns each row as [left-padded prompt..., generated...]. */
export async function greedyBatch(decoder: Decoder, prompts: readonly (readonly number[])[], opts: BatchGreedyOptions): Promise<number[][]> {
  const B = prompts.length
  const width = Math.max(...prompts.map((p) => p.length))
  if (opts.rawRows && prompts.some((p) => p.length !== width)) throw new Error('rawRows needs prompts of equal length')
  const rows = prompts.map((p) => [...new Array<number>(width - p.length).fill(opts.padId), ...p])
  const mask = prompts.map((p) => [...new Array<number>(width - p.length).fill(opts.rawRows ? 1 : 0), ...new Array<number>(p.length).fill(1)])
  const nextPos = new Array<number>(B).fill(0)
  const positions = mask.map((m, b) => m.map((bit) => (bit ? nextPos[b]!++ : 0)))
  const eos = new Set(opts.eosIds ?? [])
  const done = new Array<boolean>(B).fill(false)

  let cache = decoder.emptyCache(B)
  let ids = rows.flat()
  let pos = positions.flat()
  for (let len = width; len < opts.maxLength; len++) {
    const out = await decoder.forward({ ids, batch: B, cache, attentionMask: mask.flat(), positionIds: pos })
    cache = out.cache
    const V = out.vocabSize
    ids = []
    for (let b = 0; b < B; b++) {
      let best = 0
      for (let v = 1; v < V; v++) if (out.logits[b * V + v]! > out.logits[b * V + best]!) best = v
      const token = done[b] ? opts.padId : best
      if (eos.has(token)) done[b] = true
      rows[b]!.push(token)
      mask[b]!.push(1)
      ids.push(token)
    }
    pos = nextPos.map((_, b) => nextPos[b]!++)
    if (done.every(Boolean)) break
  }
  return rows
}
