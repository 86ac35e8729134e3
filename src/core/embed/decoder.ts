/**
 * Decoder embeddings: mean (default) or last-token pooling of a decoder's final hidden state
 * (Decoder.hidden), L2-normalised. Texts get the tokenizer's own special tokens (BOS) and are
 * cut to the model's context.
 *
 * What they are good for: a decoder trained only to predict the next token was never trained to
 * put texts with the same meaning close together. Its pooled states mostly reflect surface form
 * (characters, words, style); they suit near-duplicate detection, grouping by style or language,
 * and testing the pipeline, not semantic search. Use a sentence-embedding encoder for that.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../errors.js'
import { readJsonObject as readJson } from '../json.js'
import { Model } from '../model/load.js'
import type { SessionOptions } from '../runtime/ort.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { l2Normalize, pool, type Pooling } from './pooling.js'
import { embedInBatches, truncateIds, type EmbedOptions, type Embedder, type EmbedderInfo } from './types.js'

export class DecoderEmbedder implements Embedder {
  private constructor(readonly info: EmbedderInfo, readonly model: Model) {}

  get tokenizer(): Tokenizer { return this.model.tokenizer }

  static async open(dir: string, opts: SessionOptions & { pooling?: Pooling; normalize?: boolean } = {}): Promise<DecoderEmbedder> {
    const model = await Model.load(dir, { device: opts.device, threads: opts.threads, onInfo: opts.onInfo })
    try {
      model.decoder.requireHidden()
      const cfgFile = join(model.folder.dir, 'config.json')
      const cfg = existsSync(cfgFile) ? readJson(cfgFile) : {}
      const pooling = opts.pooling ?? 'mean'
      if (pooling === 'cls') throw new LlmError("pooling 'cls' is for encoders; a decoder pools with 'mean' or 'last'", { where: '--pooling' })
      const info: EmbedderInfo = {
        model: model.folder.dir, kind: 'decoder', pooling, normalize: opts.normalize ?? true,
        dim: typeof cfg.hidden_size === 'number' ? cfg.hidden_size : 0, maxTokens: model.folder.contextLength ?? 2048,
      }
      return new DecoderEmbedder(info, model)
    } catch (err) {
      await model.release()
      throw err
    }
  }

  /** the tokenizer's own special tokens (BOS); an empty text is BOS alone (an error without one) */
  encode(text: string): number[] {
    return truncateIds(this.model.encodePrompt(text), this.info.maxTokens, false)
  }

  async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const ids = texts.map((t) => this.encode(t))
    return embedInBatches(ids, 0, opts.batchSize ?? 16, async (flat, mask, B, S) => {
      const { hidden, size } = await this.model.decoder.hidden(flat, mask, B, S)
      if (this.info.dim === 0) this.info.dim = size
      const vecs = pool(hidden, mask, B, S, size, this.info.pooling)
      return this.info.normalize ? vecs.map(l2Normalize) : vecs
    }, opts.onProgress)
  }

  async close(): Promise<void> {
    await this.model.release()
  }
}
