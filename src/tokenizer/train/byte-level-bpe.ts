import { LlmError } from '../../core/errors.js'
import { compileSplitRegex } from '../regex.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from '../types.js'
import { allowedSpecialNames, encodeWithSpecials } from '../special.js'
import type { BpeTrainResult } from './bpe-trainer.js'
import { byteLevelTokenBytes } from '../hf/decoders.js'
import { BpeMerger, PairRanker } from '../bpe.js'

const CACHE_MAX = 50_000

/**
 * The tokenizer a BPE training run produced: split with the pattern, then merge each piece's
 * bytes exactly as Hugging Face's BPE model does (the merge core with `PairRanker`: lowest merge
 * rank first, then leftmost). Byte b is symbol b (the trainer's vocab starts with the 256 bytes). Saved with
 * `toTokenizerJson()` it loads unchanged in Hugging Face `tokenizers` and gives the same ids.
 */
export class ByteLevelBpeTokenizer implements Tokenizer {
  readonly kind = 'bpe'
  readonly vocabSize: number
  readonly bosTokenId?: number
  readonly eosTokenId?: number
  readonly specialTokens: ReadonlyMap<string, number>
  private readonly ids = new Map<string, number>()
  private readonly bytesOf: Uint8Array[]
  private readonly ranker: PairRanker
  private readonly merger = new BpeMerger()
  private readonly regex: RegExp
  private readonly cache = new Map<string, number[]>()

  constructor(readonly model: Pick<BpeTrainResult, 'vocab' | 'merges' | 'specialTokens' | 'pattern'>) {
    this.vocabSize = model.vocab.length
    model.vocab.forEach((t, i) => { if (!this.ids.has(t)) this.ids.set(t, i) })
    const specials = new Map<string, number>()
    for (const s of model.specialTokens) specials.set(s, this.ids.get(s)!)
    this.specialTokens = specials
    this.bytesOf = model.vocab.map((t) => (specials.has(t) ? Buffer.from(t, 'utf8') : byteLevelTokenBytes(t)))
    this.ranker = new PairRanker(model.merges)
    this.regex = compileSplitRegex(model.pattern, { where: 'pattern', dialect: 'oniguruma' })
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = []
    encodeWithSpecials(text, allowedSpecialNames(this.specialTokens, opts.allowedSpecial), this.specialTokens, (t, o) => this.encodeOrdinary(t, o), out)
    return out
  }

  private encodeOrdinary(text: string, out: number[]): void {
    const re = this.regex
    re.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = re.exec(text)) !== null) {
      const piece = m[0]
      if (piece.length === 0) { re.lastIndex++; continue }
      let ids = this.cache.get(piece)
      if (!ids) {
        ids = this.mergePiece(Buffer.from(piece, 'utf8'))
        if (this.cache.size >= CACHE_MAX) this.cache.clear()
        this.cache.set(piece, ids)
      }
      for (const id of ids) out.push(id)
    }
  }

  private mergePiece(bytes: Uint8Array): number[] {
    const ids: number[] = []
    this.merger.mergeIds(this.ranker, bytes, ids) // byte b is symbol b
    return ids
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const parts: Uint8Array[] = []
    for (const id of ids) {
      const b = this.bytesOf[id]
      if (!b) throw new LlmError(`token id ${id} is out of range`, { where: 'decode', hint: `ids must be 0..${this.vocabSize - 1}` })
      if (opts.skipSpecialTokens && this.specialTokens.has(this.model.vocab[id]!)) continue
      parts.push(b)
    }
    return Buffer.concat(parts).toString('utf8')
  }

  idToToken(id: number): string | undefined {
    return this.model.vocab[id]
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token)
  }

  /**
   * The Hugging Face `tokenizer.json`: Split(pattern, Isolated) + ByteLevel(no regex)
   * pre-tokenizer, BPE model (vocab + merges, no unk, no dropout), ByteLevel decoder, the
   * special tokens as added tokens.
   */
  toTokenizerJson(): Record<string, unknown> {
    const vocab: Record<string, number> = {}
    this.model.vocab.forEach((t, i) => { if (!(t in vocab)) vocab[t] = i })
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specialTokens].map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: this.model.pattern }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: this.model.merges.map(([a, b]) => [this.model.vocab[a]!, this.model.vocab[b]!]),
      },
    }
  }
}

