import { readTokenizerFile } from '../read.js'
import { LlmError } from '../../core/errors.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from '../types.js'
import { allowedSpecialNames, encodeWithSpecials } from '../special.js'
import { bpeSegment, type BpeVocab } from './bpe.js'
import { ModelType, parseModelProto, PieceType, type ModelProto } from './model-proto.js'
import { decodeUtf8PerByte, SentencePieceNormalizer, SPACE_SYMBOL } from './normalizer.js'
import { UnigramSegmenter } from './unigram.js'

export { parseModelProto, PieceType, ModelType } from './model-proto.js'
export type { ModelProto, SentencePiece, TrainerSpec, NormalizerSpec } from './model-proto.js'

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/

/**
 * A SentencePiece model (`.model`, the ModelProto protobuf) that encodes and decodes exactly as
 * `sentencepiece.SentencePieceProcessor(model_file=…).encode(text)` / `.decode(ids)`:
 * BPE (score-ordered merges) or Unigram (Viterbi), byte fallback to `<0xNN>` pieces, unknown
 * text to `<unk>`, the model's own normalizer (identity or a precompiled charsmap such as
 * nmt_nfkc).
 */
export class SentencePieceTokenizer implements Tokenizer {
  readonly kind = 'sentencepiece'
  readonly vocabSize: number
  readonly bosTokenId?: number
  readonly eosTokenId?: number
  readonly padTokenId?: number
  readonly unkTokenId?: number
  readonly specialTokens: ReadonlyMap<string, number>
  readonly modelType: 'bpe' | 'unigram'
  readonly byteFallback: boolean

  private readonly normalizer: SentencePieceNormalizer
  /** NORMAL, USER_DEFINED and UNUSED pieces (SentencePiece's `pieces_`) */
  private readonly pieces = new Map<string, number>()
  /** CONTROL, UNKNOWN and BYTE pieces (`reserved_id_map_`) */
  private readonly reserved = new Map<string, number>()
  private readonly types: Uint8Array
  private readonly scores: Float32Array
  private readonly byteIds = new Int32Array(256).fill(-1)
  private readonly byteOfId = new Map<number, number>()
  private readonly userSymbols: string[] = []
  private readonly segment: (normalized: string) => Array<[string, number]>
  private readonly decodeStripsBosSpace: boolean

  constructor(readonly proto: ModelProto, where = 'sentencepiece model') {
    const { pieces, trainerSpec, normalizerSpec } = proto
    this.vocabSize = pieces.length
    this.types = new Uint8Array(pieces.length)
    this.scores = new Float32Array(pieces.length)
    let minScore = Infinity
    let maxScore = 1.1754943508222875e-38 // FLT_MIN, the C++ initial value
    pieces.forEach((p, id) => {
      this.types[id] = p.type
      this.scores[id] = p.score
      const normal = p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED || p.type === PieceType.UNUSED
      const map = normal ? this.pieces : this.reserved
      if (map.has(p.piece)) throw new LlmError(`piece '${p.piece}' is defined twice`, { where })
      map.set(p.piece, id)
      if (p.type === PieceType.USER_DEFINED) this.userSymbols.push(p.piece)
      if (p.type === PieceType.NORMAL) {
        minScore = Math.min(minScore, p.score)
        maxScore = Math.max(maxScore, p.score)
      }
      if (p.type === PieceType.BYTE) {
        const m = BYTE_PIECE.exec(p.piece)
        if (!m) throw new LlmError(`byte piece '${p.piece}' is not of the form <0xNN>`, { where })
        this.byteIds[parseInt(m[1]!, 16)] = id
        this.byteOfId.set(id, parseInt(m[1]!, 16))
      }
    })
    this.byteFallback = trainerSpec.byteFallback
    if (this.byteFallback && this.byteIds.includes(-1)) throw new LlmError('byte_fallback is set but not all 256 <0xNN> pieces exist', { where })

    const controlId = (piece: string): number | undefined => {
      const id = this.pieceToId(piece)
      return id !== undefined && this.types[id] === PieceType.CONTROL ? id : undefined
    }
    this.bosTokenId = controlId(trainerSpec.bosPiece)
    this.eosTokenId = controlId(trainerSpec.eosPiece)
    this.padTokenId = controlId(trainerSpec.padPiece)
    const unk = this.pieceToId(trainerSpec.unkPiece)
    this.unkTokenId = unk !== undefined && this.types[unk] === PieceType.UNKNOWN ? unk : pieces.findIndex((p) => p.type === PieceType.UNKNOWN)
    if (this.unkTokenId === -1) throw new LlmError('the model has no <unk> piece', { where })

    const special = new Map<string, number>()
    pieces.forEach((p, id) => { if (p.type === PieceType.CONTROL) special.set(p.piece, id) })
    this.specialTokens = special

    if (proto.hasDenormalizer) throw new LlmError('models with a denormalizer are not supported', { where })
    if (trainerSpec.treatWhitespaceAsSuffix) throw new LlmError('models trained with treat_whitespace_as_suffix are not supported', { where })
    this.normalizer = new SentencePieceNormalizer(normalizerSpec, this.userSymbols, trainerSpec.treatWhitespaceAsSuffix)
    this.decodeStripsBosSpace = normalizerSpec.addDummyPrefix || normalizerSpec.removeExtraWhitespaces

    const isUnused = (id: number): boolean => this.types[id] === PieceType.UNUSED
    if (trainerSpec.modelType === ModelType.BPE) {
      this.modelType = 'bpe'
      const userSymbols = [...this.userSymbols].sort((a, b) => b.length - a.length)
      const vocab: BpeVocab = {
        pieces: this.pieces,
        scores: this.scores,
        isUnused,
        matchUserSymbol: (text, pos) => {
          for (const s of userSymbols) if (text.startsWith(s, pos)) return s.length
          return 0
        },
        pieceText: (id) => pieces[id]!.piece,
      }
      this.segment = (s) => bpeSegment(s, vocab)
    } else if (trainerSpec.modelType === ModelType.UNIGRAM) {
      this.modelType = 'unigram'
      const seg = new UnigramSegmenter({
        pieces: this.pieces, scores: this.scores, isUnused,
        isUserDefined: (id) => this.types[id] === PieceType.USER_DEFINED,
        minScore, maxScore,
      })
      this.segment = (s) => seg.segment(s)
    } else {
      throw new LlmError(`model_type ${trainerSpec.modelType} (word/char) is not supported`, { where, hint: 'only BPE and Unigram SentencePiece models are supported' })
    }
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = []
    if (opts.addSpecialTokens && this.bosTokenId !== undefined) ids.push(this.bosTokenId)
    // control tokens named in the text become their ids; the text between them is encoded
    // on its own (as separate SentencePiece calls would be)
    const names = allowedSpecialNames(this.specialTokens, opts.allowedSpecial)
    encodeWithSpecials(text, names, this.specialTokens, (t, out) => this.encodePlain(t, out), ids)
    return ids
  }

  /**
   * pieces of `text` as SentencePiece's `encode(text, out_type=str)` gives them: an unknown piece
   * is its own (normalized) text, a run of unknown pieces one piece, not '<unk>' (byte fallback
   * spells it as <0xNN> pieces instead)
   */
  encodeAsPieces(text: string): string[] {
    const out: string[] = []
    if (text.length === 0) return out
    let prevUnk = false
    for (const [piece, id0] of this.segment(this.normalizer.normalize(text))) {
      const id = id0 >= 0 ? id0 : (this.reserved.get(piece) ?? this.unkTokenId!)
      const isUnk = id === this.unkTokenId
      if (isUnk && this.byteFallback) for (const b of Buffer.from(piece, 'utf8')) out.push(this.proto.pieces[this.byteIds[b]!]!.piece)
      else if (isUnk && prevUnk) out[out.length - 1] += piece
      else out.push(isUnk ? piece : this.proto.pieces[id]!.piece)
      prevUnk = isUnk
    }
    return out
  }

  /** the normalized text SentencePiece segments (▁ for spaces, dummy prefix added) */
  normalize(text: string): string {
    return this.normalizer.normalize(text)
  }

  private encodePlain(text: string, ids: number[]): void {
    if (text.length === 0) return
    let prevUnk = false
    for (const [piece, id0] of this.segment(this.normalizer.normalize(text))) {
      const id = id0 >= 0 ? id0 : (this.reserved.get(piece) ?? this.unkTokenId!)
      const isUnk = id === this.unkTokenId
      if (isUnk && this.byteFallback) {
        // sentencepiece_processor.cc: an unknown piece is spelled out as its UTF-8 bytes
        for (const b of Buffer.from(piece, 'utf8')) ids.push(this.byteIds[b]!)
      } else if (!(isUnk && prevUnk)) ids.push(id) // a run of unknown pieces becomes one <unk>
      prevUnk = isUnk
    }
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    // sentencepiece_processor.cc Decode: control pieces are invisible, runs of byte pieces are
    // decoded as UTF-8 (each bad byte → U+FFFD), the first leading ▁ is dropped.
    let text = ''
    let bytes: number[] = []
    let isBosWs = true
    let bosWsSeen = false
    const flush = (): void => {
      if (bytes.length) text += decodeUtf8PerByte(Uint8Array.from(bytes))
      bytes = []
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new LlmError(`token id ${id} is out of range`, { where: 'decode', hint: `ids must be 0..${this.vocabSize - 1}` })
      }
      const type = this.types[id]
      if (type === PieceType.BYTE) { bytes.push(this.byteOfId.get(id)!); continue }
      flush()
      if (bosWsSeen || text.length > 0) isBosWs = false
      bosWsSeen = false
      if (type === PieceType.CONTROL) continue
      if (type === PieceType.UNKNOWN) {
        if (!opts.skipSpecialTokens) text += this.proto.trainerSpec.unkSurface
        continue
      }
      let piece = this.proto.pieces[id]!.piece
      if (isBosWs && this.decodeStripsBosSpace && piece.startsWith(SPACE_SYMBOL)) {
        piece = piece.slice(SPACE_SYMBOL.length)
        bosWsSeen = !this.proto.normalizerSpec.removeExtraWhitespaces
      }
      text += piece.replaceAll(SPACE_SYMBOL, ' ')
    }
    flush()
    return text
  }

  idToToken(id: number): string | undefined {
    return this.proto.pieces[id]?.piece
  }

  tokenToId(token: string): number | undefined {
    return this.pieceToId(token)
  }

  /** SentencePiece's PieceToId without the <unk> fallback: reserved pieces first */
  private pieceToId(piece: string): number | undefined {
    return this.reserved.get(piece) ?? this.pieces.get(piece)
  }

  /** the piece's score (BPE: merge priority; Unigram: log probability) */
  score(id: number): number {
    return this.scores[id] ?? 0
  }

  pieceType(id: number): number {
    return this.types[id] ?? 0
  }
}

/** Load a SentencePiece `.model` file. */
export function loadSentencePieceModel(path: string): SentencePieceTokenizer {
  return new SentencePieceTokenizer(parseModelProto(readTokenizerFile(path), path), path)
}
