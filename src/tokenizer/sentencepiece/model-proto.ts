import { LlmError } from '../../core/errors.js'

/**
 * The parts of SentencePiece's `ModelProto` (sentencepiece_model.proto) that tokenization needs,
 * read with a tiny protobuf wire-format reader (varint, fixed32, length-delimited). Unknown
 * fields are skipped, as protobuf requires, so newer model files still load.
 */

/** SentencePiece.Type in sentencepiece_model.proto */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const
export type PieceTypeValue = (typeof PieceType)[keyof typeof PieceType]

/** TrainerSpec.ModelType */
export const ModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const

export interface SentencePiece {
  piece: string
  score: number
  type: PieceTypeValue
}

export interface TrainerSpec {
  modelType: number
  vocabSize: number
  byteFallback: boolean
  treatWhitespaceAsSuffix: boolean
  unkId: number
  bosId: number
  eosId: number
  padId: number
  unkPiece: string
  bosPiece: string
  eosPiece: string
  padPiece: string
  unkSurface: string
}

export interface NormalizerSpec {
  name: string
  precompiledCharsmap: Uint8Array
  addDummyPrefix: boolean
  removeExtraWhitespaces: boolean
  escapeWhitespaces: boolean
}

export interface ModelProto {
  pieces: SentencePiece[]
  trainerSpec: TrainerSpec
  normalizerSpec: NormalizerSpec
  /** present when the model was trained with a denormalization rule (rare) */
  hasDenormalizer: boolean
}

class WireReader {
  pos = 0
  constructor(readonly buf: Uint8Array, readonly where: string, readonly start = 0, readonly end = buf.length) {
    this.pos = start
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  varint(): number {
    // tags, lengths, enums and bools: all fit in 53 bits
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.corrupt('truncated varint')
      const b = this.buf[this.pos++]!
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return result
      mul *= 128
    }
    throw this.corrupt('varint longer than 10 bytes')
  }

  /** an int32 field: negative values arrive as 10-byte varints; keep the low 32 bits, signed */
  int32(): number {
    let lo = 0
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.corrupt('truncated varint')
      const b = this.buf[this.pos++]!
      if (i < 5) lo = (lo | ((b & 0x7f) << (7 * i))) >>> 0
      if ((b & 0x80) === 0) return lo | 0
    }
    throw this.corrupt('varint longer than 10 bytes')
  }

  float(): number {
    if (this.pos + 4 > this.end) throw this.corrupt('truncated float')
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true)
    this.pos += 4
    return v
  }

  bytes(): Uint8Array {
    const len = this.varint()
    if (this.pos + len > this.end) throw this.corrupt('length-delimited field runs past the end')
    const out = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return out
  }

  sub(): WireReader {
    const b = this.bytes()
    return new WireReader(this.buf, this.where, b.byteOffset - this.buf.byteOffset, b.byteOffset - this.buf.byteOffset + b.length)
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 1) this.pos += 8
    else if (wireType === 2) this.bytes()
    else if (wireType === 5) this.pos += 4
    else throw this.corrupt(`unsupported wire type ${wireType}`)
    if (this.pos > this.end) throw this.corrupt('field runs past the end')
  }

  corrupt(why: string): LlmError {
    return new LlmError(`not a valid SentencePiece model: ${why}`, { where: this.where, hint: 'expected a SentencePiece .model (ModelProto protobuf)' })
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false })

function readPiece(r: WireReader): SentencePiece {
  const p: SentencePiece = { piece: '', score: 0, type: PieceType.NORMAL }
  while (!r.done) {
    const tag = r.varint()
    const field = Math.floor(tag / 8)
    const wt = tag & 7
    if (field === 1 && wt === 2) p.piece = utf8.decode(r.bytes())
    else if (field === 2 && wt === 5) p.score = r.float()
    else if (field === 3 && wt === 0) p.type = r.varint() as PieceTypeValue
    else r.skip(wt)
  }
  return p
}

function readTrainerSpec(r: WireReader): TrainerSpec {
  // defaults from sentencepiece_model.proto
  const t: TrainerSpec = {
    modelType: ModelType.UNIGRAM, vocabSize: 8000, byteFallback: false, treatWhitespaceAsSuffix: false,
    unkId: 0, bosId: 1, eosId: 2, padId: -1,
    unkPiece: '<unk>', bosPiece: '<s>', eosPiece: '</s>', padPiece: '<pad>', unkSurface: ' \u2047 ',
  }
  while (!r.done) {
    const tag = r.varint()
    const field = Math.floor(tag / 8)
    const wt = tag & 7
    if (wt === 0 && field === 3) t.modelType = r.varint()
    else if (wt === 0 && field === 4) t.vocabSize = r.int32()
    else if (wt === 0 && field === 24) t.treatWhitespaceAsSuffix = r.varint() !== 0
    else if (wt === 0 && field === 35) t.byteFallback = r.varint() !== 0
    else if (wt === 0 && field === 40) t.unkId = r.int32()
    else if (wt === 0 && field === 41) t.bosId = r.int32()
    else if (wt === 0 && field === 42) t.eosId = r.int32()
    else if (wt === 0 && field === 43) t.padId = r.int32()
    else if (wt === 2 && field === 44) t.unkSurface = utf8.decode(r.bytes())
    else if (wt === 2 && field === 45) t.unkPiece = utf8.decode(r.bytes())
    else if (wt === 2 && field === 46) t.bosPiece = utf8.decode(r.bytes())
    else if (wt === 2 && field === 47) t.eosPiece = utf8.decode(r.bytes())
    else if (wt === 2 && field === 48) t.padPiece = utf8.decode(r.bytes())
    else r.skip(wt)
  }
  return t
}

function readNormalizerSpec(r: WireReader): NormalizerSpec {
  const n: NormalizerSpec = { name: '', precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true }
  while (!r.done) {
    const tag = r.varint()
    const field = Math.floor(tag / 8)
    const wt = tag & 7
    if (wt === 2 && field === 1) n.name = utf8.decode(r.bytes())
    else if (wt === 2 && field === 2) n.precompiledCharsmap = r.bytes()
    else if (wt === 0 && field === 3) n.addDummyPrefix = r.varint() !== 0
    else if (wt === 0 && field === 4) n.removeExtraWhitespaces = r.varint() !== 0
    else if (wt === 0 && field === 5) n.escapeWhitespaces = r.varint() !== 0
    else r.skip(wt)
  }
  return n
}

/** Parse a serialized ModelProto. `where` names the file in errors. */
export function parseModelProto(buf: Uint8Array, where: string): ModelProto {
  const r = new WireReader(buf, where)
  const pieces: SentencePiece[] = []
  let trainerSpec: TrainerSpec | undefined
  let normalizerSpec: NormalizerSpec | undefined
  let hasDenormalizer = false
  while (!r.done) {
    const tag = r.varint()
    const field = Math.floor(tag / 8)
    const wt = tag & 7
    if (wt === 2 && field === 1) pieces.push(readPiece(r.sub()))
    else if (wt === 2 && field === 2) trainerSpec = readTrainerSpec(r.sub())
    else if (wt === 2 && field === 3) normalizerSpec = readNormalizerSpec(r.sub())
    else if (wt === 2 && field === 5) {
      const d = readNormalizerSpec(r.sub())
      hasDenormalizer = d.precompiledCharsmap.length > 0
    } else r.skip(wt)
  }
  if (pieces.length === 0) throw r.corrupt('no pieces')
  return {
    pieces,
    trainerSpec: trainerSpec ?? readTrainerSpec(new WireReader(new Uint8Array(0), where)),
    normalizerSpec: normalizerSpec ?? readNormalizerSpec(new WireReader(new Uint8Array(0), where)),
    hasDenormalizer,
  }
}
