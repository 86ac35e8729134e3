/**
 * Encoder embeddings in the transformers.js feature-extraction layout (BERT, MiniLM and other
 * sentence-transformers exports): onnx/model.onnx with inputs input_ids, attention_mask and
 * (when declared) token_type_ids, output last_hidden_state [B, S, C]; a tokenizer.json (WordPiece
 * for BERT); pooling as 1_Pooling/config.json says (mean by default), then L2 normalisation
 * (on by default, as retrieval needs: cosine = dot; sentence-transformers' Normalize module).
 * max_seq_length comes from sentence_bert_config.json, else config.json max_position_embeddings.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../errors.js'
import type { ModelFolder } from '../model/folder.js'
import { readJsonObject as readJson } from '../json.js'
import { halfToFloat32Array } from '../runtime/fp16.js'
import { ModelSession, tensor, type SessionOptions } from '../runtime/ort.js'
import { loadTokenizer } from '../../tokenizer/load.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { l2Normalize, pool, type Pooling } from './pooling.js'
import { embedInBatches, truncateIds, type EmbedOptions, type Embedder, type EmbedderInfo } from './types.js'

const HIDDEN = 'last_hidden_state'

/** Pooling named by a sentence-transformers folder (1_Pooling/config.json), else mean. */
function folderPooling(dir: string): Pooling {
  const file = join(dir, '1_Pooling', 'config.json')
  if (!existsSync(file)) return 'mean'
  const cfg = readJson(file)
  if (cfg.pooling_mode_mean_tokens === true) return 'mean'
  if (cfg.pooling_mode_cls_token === true) return 'cls'
  if (cfg.pooling_mode_lasttoken === true) return 'last'
  throw new LlmError('unsupported pooling mode (only mean, cls and lasttoken are implemented)', { where: file })
}

export class EncoderEmbedder implements Embedder {
  private constructor(
    readonly info: EmbedderInfo,
    readonly tokenizer: Tokenizer,
    private readonly session: ModelSession,
    private readonly padId: number,
    private readonly endsWithSpecial: boolean,
  ) {}

  static async open(folder: ModelFolder, opts: SessionOptions & { pooling?: Pooling; normalize?: boolean } = {}): Promise<EncoderEmbedder> {
    const tokenizer = loadTokenizer(folder.tokenizerPath)
    const session = await ModelSession.create(folder.onnxFile, opts)
    try {
      if (!session.outputNames.includes(HIDDEN) || !session.inputNames.includes('input_ids')) {
        throw new LlmError(`not an encoder in the feature-extraction layout: expected input 'input_ids' and output '${HIDDEN}'`, { where: folder.onnxFile, hint: `outputs: ${session.outputNames.join(', ')}` })
      }
      const config = readJson(join(folder.dir, 'config.json'))
      const st = existsSync(join(folder.dir, 'sentence_bert_config.json')) ? readJson(join(folder.dir, 'sentence_bert_config.json')) : {}
      const maxTokens = typeof st.max_seq_length === 'number' ? st.max_seq_length : folder.contextLength ?? 512
      const dim = typeof config.hidden_size === 'number' ? config.hidden_size : 0
      const padId = tokenizer.tokenToId('[PAD]') ?? (typeof config.pad_token_id === 'number' ? config.pad_token_id : 0)
      // does the tokenizer close a sequence with a special token ([SEP])? then truncation keeps it
      const probe = tokenizer.encode('a', { addSpecialTokens: true })
      const endsWithSpecial = probe.length > tokenizer.encode('a').length && [...tokenizer.specialTokens.values()].includes(probe[probe.length - 1]!)
      const info: EmbedderInfo = { model: folder.dir, kind: 'encoder', pooling: opts.pooling ?? folderPooling(folder.dir), normalize: opts.normalize ?? true, dim, maxTokens }
      return new EncoderEmbedder(info, tokenizer, session, padId, endsWithSpecial)
    } catch (err) {
      await session.release()
      throw err
    }
  }

  encode(text: string): number[] {
    return truncateIds(this.tokenizer.encode(text, { addSpecialTokens: true }), this.info.maxTokens, this.endsWithSpecial)
  }

  async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const ids = texts.map((t) => this.encode(t))
    return embedInBatches(ids, this.padId, opts.batchSize ?? 16, async (flat, mask, B, S) => {
      const i64 = (xs: number[]) => tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), [B, S])
      const feeds: Record<string, ReturnType<typeof tensor>> = { input_ids: i64(flat) }
      if (this.session.inputNames.includes('attention_mask')) feeds.attention_mask = i64(mask)
      if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = i64(new Array<number>(B * S).fill(0))
      const out = (await this.session.run(feeds, [HIDDEN]))[HIDDEN]!
      const data = out.type === 'float16' ? halfToFloat32Array(out.data as Uint16Array) : (out.data as Float32Array)
      const C = data.length / (B * S)
      if (this.info.dim === 0) this.info.dim = C
      const vecs = pool(data, mask, B, S, C, this.info.pooling)
      return this.info.normalize ? vecs.map(l2Normalize) : vecs
    }, opts.onProgress)
  }

  async close(): Promise<void> {
    await this.session.release()
  }
}
