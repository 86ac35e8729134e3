import { readTokenizerFile } from '../read.js'
import { LlmError } from '../../core/errors.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from '../types.js'
import { allowedSpecialNames, encodeWithSpecials } from '../special.js'
import { BpeMerger, type MergeRanker, NO_RANK, PairMergeTable, scoreRanks } from '../bpe.js'

/**
 * llama2.c's `tokenizer.bin` (written by its tokenizer.py `export()`): int32 max_token_length,
 * then per token float32 score, int32 byte length, the bytes. Piece texts use a real space
 * where SentencePiece writes U+2581; BOS/EOS are stored as "\n<s>\n" / "\n</s>\n"; bytes as
 * "<0xNN>". Ids 0, 1, 2 are <unk>, BOS, EOS and ids 3..258 the 256 bytes (run.c hard-codes this).
 *
 * Encoding and decoding follow run.c's `encode()` / `decode()` exactly (see the method docs).
 */
export const LLAMA2C_BOS = 1
export const LLAMA2C_EOS = 2
/** run.c: "the first 3 vocab elements are <unk>, <s>, </s>", then the 256 byte tokens */
const BYTE_OFFSET = 3

export interface Llama2cVocab {
  maxTokenLength: number
  /** each piece's raw bytes */
  pieces: Uint8Array[]
  scores: Float32Array
}

/** Parse a tokenizer.bin buffer. The vocab size is not in the file: the pieces run to its end. */
export function parseLlama2cTokenizer(buf: Uint8Array, where: string): Llama2cVocab {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const bad = (why: string): LlmError => new LlmError(`not a valid llama2.c tokenizer.bin: ${why}`, { where, hint: 'expected llama2.c\'s tokenizer.bin (int max_token_length, then float score, int len, bytes per token)' })
  if (buf.length < 4) throw bad('file too short')
  const maxTokenLength = dv.getInt32(0, true)
  if (maxTokenLength <= 0 || maxTokenLength > 4096) throw bad(`max_token_length ${maxTokenLength} is implausible`)
  const pieces: Uint8Array[] = []
  const scores: number[] = []
  let off = 4
  while (off < buf.length) {
    if (off + 8 > buf.length) throw bad(`truncated entry for token ${pieces.length}`)
    const score = dv.getFloat32(off, true)
    const len = dv.getInt32(off + 4, true)
    off += 8
    if (len < 0 || len > maxTokenLength || off + len > buf.length) throw bad(`token ${pieces.length} has length ${len} (max_token_length ${maxTokenLength})`)
    pieces.push(buf.slice(off, off + len))
    scores.push(score)
    off += len
  }
  if (pieces.length < BYTE_OFFSET + 256) throw bad(`only ${pieces.length} tokens; expected <unk>, <s>, </s> and 256 byte tokens at least`)
  return { maxTokenLength, pieces, scores: Float32Array.from(scores) }
}

/** what run.c's sscanf(piece, "<0x%02hhX>") accepts (it never checks the closing '>') */
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{1,2})/
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')

export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c'
  readonly vocabSize: number
  readonly bosTokenId = LLAMA2C_BOS
  readonly eosTokenId = LLAMA2C_EOS
  readonly specialTokens: ReadonlyMap<string, number> = new Map([['<s>', LLAMA2C_BOS], ['</s>', LLAMA2C_EOS]])
  /** piece bytes (as a latin1 string, one char per byte) → id; the lowest id wins a duplicate */
  private readonly lookup = new Map<string, number>()
  private readonly keys: string[]
  private readonly rawByte: Int16Array
  private readonly ranker: MergeRanker
  private readonly merger = new BpeMerger()

  constructor(readonly vocab: Llama2cVocab) {
    this.vocabSize = vocab.pieces.length
    this.keys = vocab.pieces.map(latin1)
    this.keys.forEach((k, id) => { if (!this.lookup.has(k)) this.lookup.set(k, id) })
    // run.c decode: sscanf(piece, "<0x%02hhX>") turns a byte piece into the raw byte
    this.rawByte = new Int16Array(this.vocabSize).fill(-1)
    this.keys.forEach((k, id) => {
      const m = BYTE_PIECE.exec(k)
      if (m) this.rawByte[id] = parseInt(m[1]!, 16)
    })
    this.ranker = concatScoreRanker(this.keys, this.lookup, vocab.scores)
  }

  /**
   * run.c `encode(t, text, bos, eos=0)`: optional BOS (1); the " " piece as a dummy prefix when
   * the text is not empty; one token per UTF-8 code point found in the vocab, else one token per
   * byte (byte + 3); then repeatedly merge the adjacent pair whose concatenated piece has the
   * highest score (ties: leftmost), until no pair is a piece. No whitespace is collapsed.
   * (run.c cannot see past a NUL byte in its C string; here NUL is an ordinary byte.)
   */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const tokens: number[] = opts.addSpecialTokens ? [LLAMA2C_BOS] : []
    // allowed control-token texts (<s>, </s>) become their ids; the text between them is encoded
    // on its own, as separate run.c calls would be
    const names = allowedSpecialNames(this.specialTokens, opts.allowedSpecial)
    encodeWithSpecials(text, names, this.specialTokens, (part, out) => { for (const id of this.encodePlain(part, false)) out.push(id) }, tokens)
    return tokens
  }

  private encodePlain(text: string, bos: boolean): number[] {
    const bytes = Buffer.from(text, 'utf8')
    const ids: number[] = []
    if (bos) ids.push(LLAMA2C_BOS)
    if (bytes.length > 0) {
      const space = this.lookup.get(' ')
      if (space !== undefined) ids.push(space)
    }
    // one token per code point, or per byte when the code point is not a piece
    let start = 0
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i]! & 0xc0) !== 0x80) start = i
      const next = i + 1 < bytes.length ? bytes[i + 1]! : 0
      // run.c caps a code point at 4 bytes to protect its buffer
      if ((next & 0xc0) === 0x80 && i - start + 1 < 4) continue
      const id = this.lookup.get(bytes.toString('latin1', start, i + 1))
      if (id !== undefined) ids.push(id)
      else for (let k = start; k <= i; k++) ids.push(bytes[k]! + BYTE_OFFSET)
      start = i + 1
    }
    return this.merge(ids)
  }

  /**
   * The greedy merge loop: run.c rescans all pairs each round for the highest-scoring piece
   * (strictly above -1e10, leftmost among equals); the merge core does the same pick per round.
   */
  private merge(ids: number[]): number[] {
    const n = ids.length
    if (n < 2) return ids
    const out: number[] = []
    this.merger.mergeIds(this.ranker, ids, out)
    return out
  }

  /**
   * run.c `decode(prev_token, token)` applied along the sequence: a piece that follows BOS loses
   * its leading space, `<0xNN>` pieces are raw bytes; the bytes are then read as UTF-8
   * (malformed sequences become U+FFFD). `skipSpecialTokens` drops BOS/EOS.
   */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const out: number[] = []
    let prev = -1
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new LlmError(`token id ${id} is out of range`, { where: 'decode', hint: `ids must be 0..${this.vocabSize - 1}` })
      }
      const skip = opts.skipSpecialTokens && (id === LLAMA2C_BOS || id === LLAMA2C_EOS)
      if (!skip) out.push(...this.decodeBytes(prev, id))
      prev = id
    }
    return Buffer.from(out).toString('utf8')
  }

  /** the raw bytes run.c's decode(prev, token) returns for one token (for streaming decoders) */
  decodeBytes(prevToken: number, token: number): Uint8Array {
    const piece = this.vocab.pieces[token]!
    if (prevToken === LLAMA2C_BOS && piece[0] === 0x20) {
      const rest = piece.subarray(1)
      const m = BYTE_PIECE.exec(latin1(rest))
      return m ? Uint8Array.of(parseInt(m[1]!, 16)) : rest
    }
    const raw = this.rawByte[token]!
    return raw >= 0 ? Uint8Array.of(raw) : piece
  }

  idToToken(id: number): string | undefined {
    const p = this.vocab.pieces[id]
    return p && Buffer.from(p).toString('utf8')
  }

  /** the id of a piece's text as stored in the file; '<s>' and '</s>' also name BOS and EOS */
  tokenToId(token: string): number | undefined {
    return this.lookup.get(Buffer.from(token, 'utf8').toString('latin1')) ?? this.specialTokens.get(token)
  }

  score(id: number): number {
    return this.vocab.scores[id] ?? 0
  }
}

/**
 * run.c's pair ranking: the pair's concatenated bytes must be a piece (`str_lookup`) scoring
 * above -1e10; higher scores first. Id pairs are memoised.
 */
function concatScoreRanker(keys: readonly string[], lookup: ReadonlyMap<string, number>, scores: Float32Array): MergeRanker {
  const rankOf = scoreRanks(scores)
  const memo = new PairMergeTable()
  const pieceOf = (l: number, r: number): number => {
    const s = memo.find(l, r)
    if (s >= 0) return memo.idAt(s)
    const id = lookup.get(keys[l]! + keys[r]!) ?? -1
    if (memo.size >= 1 << 20) memo.clear()
    memo.set(l, r, 0, id)
    return id
  }
  return {
    pairRank: (l, r) => {
      const id = pieceOf(l, r)
      return id >= 0 && scores[id]! > -1e10 ? rankOf[id]! : NO_RANK
    },
    mergedId: pieceOf,
  }
}

/** Load a llama2.c `tokenizer.bin`. */
export function loadLlama2cTokenizer(path: string): Llama2cTokenizer {
  return new Llama2cTokenizer(parseLlama2cTokenizer(readTokenizerFile(path), path))
}
