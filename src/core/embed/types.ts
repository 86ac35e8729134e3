/** The interface every embedding model implements (encoder or decoder, see open.ts). */
import type { Tokenizer } from '../../tokenizer/types.js'
import type { Pooling } from './pooling.js'

export interface EmbedderInfo {
  /** the model folder */
  model: string
  kind: 'encoder' | 'decoder'
  pooling: Pooling
  normalize: boolean
  /** vector length */
  dim: number
  /** longest input in tokens (longer texts are cut at the end) */
  maxTokens: number
}

export interface EmbedOptions {
  /** texts per forward pass (default 16) */
  batchSize?: number
  onProgress?: (done: number, total: number) => void
}

export interface Embedder {
  readonly info: EmbedderInfo
  readonly tokenizer: Tokenizer
  /** the ids a text becomes (special tokens included, cut to maxTokens) */
  encode(text: string): number[]
  /** one vector per text, in order; unit length when info.normalize */
  embed(texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array[]>
  close(): Promise<void>
}

/**
 * Run `forward` over `texts` in batches of similar length (longest first, right-padded with
 * `padId`); results come back in the input order. Batching never changes a vector: every row's
 * padding is masked out of attention and pooling.
 */
export async function embedInBatches(
  ids: readonly number[][], padId: number, batchSize: number,
  forward: (batchIds: number[], mask: number[], B: number, S: number) => Promise<Float32Array[]>,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const order = ids.map((_, i) => i).sort((a, b) => ids[b]!.length - ids[a]!.length)
  const out = new Array<Float32Array>(ids.length)
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize)
    const S = ids[rows[0]!]!.length
    const B = rows.length
    const flat = new Array<number>(B * S).fill(padId)
    const mask = new Array<number>(B * S).fill(0)
    rows.forEach((r, b) => ids[r]!.forEach((id, s) => { flat[b * S + s] = id; mask[b * S + s] = 1 }))
    const vecs = await forward(flat, mask, B, S)
    rows.forEach((r, b) => { out[r] = vecs[b]! })
    onProgress?.(Math.min(start + batchSize, ids.length), ids.length)
  }
  return out
}

/** Cut ids to `max`; a sequence that ended with a special token (BERT's [SEP]) keeps it last. */
export function truncateIds(ids: number[], max: number, lastIsSpecial: boolean): number[] {
  if (ids.length <= max) return ids
  return lastIsSpecial ? [...ids.slice(0, max - 1), ids[ids.length - 1]!] : ids.slice(0, max)
}
