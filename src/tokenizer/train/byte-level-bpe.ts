import { LlmError } from '../../core/errors.js'
import { compileSplitRegex } from '../regex.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from '../types.js'
import { allowedSpecialNames, encodeWithSpecials } from '../special.js'
import type { BpeTrainResult } from './bpe-trainer.js'
import { byteLevelTokenBytes } from '../hf/decoders.js'

const PAIR = 1 << 21
const CACHE_MAX = 50_000

/**
 * The tokenizer a BPE training run produced: split with the pattern, then merge each piece's
 * bytes exactly as Hugging Face's BPE model does (`Word::merge_all`: lowest merge rank first,
 * then leftmost; an entry is dropped when its pair no longer yields the same token). Saved with
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
  /** pair key → rank * PAIR + result id */
  private readonly mergeOf = new Map<number, number>()
  private readonly regex: RegExp
  private readonly cache = new Map<string, number[]>()

  constructor(readonly model: Pick<BpeTrainResult, 'vocab' | 'merges' | 'specialTokens' | 'pattern'>) {
    this.vocabSize = model.vocab.length
    model.vocab.forEach((t, i) => { if (!this.ids.has(t)) this.ids.set(t, i) })
    const specials = new Map<string, number>()
    for (const s of model.specialTokens) specials.set(s, this.ids.get(s)!)
    this.specialTokens = specials
    this.bytesOf = model.vocab.map((t) => (specials.has(t) ? Buffer.from(t, 'utf8') : byteLevelTokenBytes(t)))
    model.merges.forEach(([a, b, id], rank) => {
      const k = a * PAIR + b
      if (!this.mergeOf.has(k)) this.mergeOf.set(k, rank * PAIR + id)
    })
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

  /** Hugging Face `Word::merge_all` over the piece's bytes */
  private mergePiece(bytes: Uint8Array): number[] {
    const n = bytes.length
    const sym = Int32Array.from(bytes)
    const next = new Int32Array(n)
    const prev = new Int32Array(n)
    const alive = new Uint8Array(n).fill(1)
    for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1 }
    // heap of [rank, pos, result id], min rank then min pos
    const heap: number[][] = []
    const less = (x: number[], y: number[]): boolean => x[0]! < y[0]! || (x[0] === y[0] && x[1]! < y[1]!)
    const push = (e: number[]): void => {
      heap.push(e)
      for (let i = heap.length - 1; i > 0;) {
        const p = (i - 1) >> 1
        if (!less(heap[i]!, heap[p]!)) break
        ;[heap[i], heap[p]] = [heap[p]!, heap[i]!]
        i = p
      }
    }
    const pop = (): number[] | undefined => {
      const top = heap[0]
      const last = heap.pop()!
      if (heap.length > 0) {
        heap[0] = last
        for (let i = 0; ;) {
          const l = 2 * i + 1
          let s = i
          if (l < heap.length && less(heap[l]!, heap[s]!)) s = l
          if (l + 1 < heap.length && less(heap[l + 1]!, heap[s]!)) s = l + 1
          if (s === i) break
          ;[heap[i], heap[s]] = [heap[s]!, heap[i]!]
          i = s
        }
      }
      return top
    }
    const consider = (pos: number): void => {
      if (pos < 0 || next[pos]! < 0) return
      const m = this.mergeOf.get(sym[pos]! * PAIR + sym[next[pos]!]!)
      if (m !== undefined) push([Math.floor(m / PAIR), pos, m % PAIR])
    }
    for (let i = 0; i + 1 < n; i++) consider(i)
    while (heap.length > 0) {
      const [, pos, id] = pop()!
      if (!alive[pos!] || next[pos!]! < 0) continue
      const right = next[pos!]!
      const m = this.mergeOf.get(sym[pos!]! * PAIR + sym[right]!)
      if (m === undefined || m % PAIR !== id) continue // expired entry
      sym[pos!] = id!
      alive[right] = 0
      next[pos!] = next[right]!
      if (next[right]! >= 0) prev[next[right]!] = pos!
      consider(prev[pos!]!)
      consider(pos!)
    }
    const ids: number[] = []
    for (let i = 0; i !== -1; i = next[i]!) ids.push(sym[i]!)
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

