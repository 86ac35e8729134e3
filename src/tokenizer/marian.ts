/**
 * Hugging Face's MarianTokenizer (transformers 4.x models/marian/tokenization_marian.py, the slow
 * tokenizer opus-mt models ship): two SentencePiece models — source.spm segments the input,
 * target.spm turns output pieces back into text — and one vocab.json that maps pieces to the
 * model's ids (not SentencePiece's own ids).
 *
 *   encode: a leading target-language code such as ">>fra<<" is kept as one token and every code
 *           is removed from the text (language_code_re ">>.+?<<": re.match, then re.sub); the rest
 *           is `source_spm.encode(text, out_type=str)`; pieces missing from vocab.json become
 *           <unk>; addSpecialTokens appends </s> (build_inputs_with_special_tokens).
 *   decode: ids → pieces through vocab.json (unknown ids → <unk>); special tokens dropped with
 *           skipSpecialTokens, else written out followed by a space; runs of other pieces are
 *           `target_spm.decode_pieces` (a piece the target model lacks keeps its own text);
 *           the result is stripped. clean_up_tokenization_spaces (tokenizer_config.json, default
 *           false) applies transformers' clean_up_tokenization.
 * separate_vocabs models (target_vocab.json) decode through the target vocabulary.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../core/errors.js'
import { loadSentencePieceModel, PieceType, type SentencePieceTokenizer } from './sentencepiece/index.js'
import { SPACE_SYMBOL } from './sentencepiece/normalizer.js'
import { allowedSpecialNames, encodeWithSpecials } from './special.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from './types.js'
import { readJsonObject } from '../core/json.js'

const LANGUAGE_CODE = />>.+?<</

export interface MarianTokenizerOptions {
  eosToken?: string
  unkToken?: string
  padToken?: string
  /** transformers' clean_up_tokenization on decode (tokenizer_config.json clean_up_tokenization_spaces) */
  cleanUpTokenizationSpaces?: boolean
  /** target_vocab.json of a separate_vocabs model: decoding uses it */
  targetVocab?: ReadonlyMap<string, number>
}

export class MarianTokenizer implements Tokenizer {
  readonly kind = 'marian'
  readonly vocabSize: number
  readonly bosTokenId = undefined
  readonly eosTokenId: number
  readonly unkTokenId: number
  readonly padTokenId?: number
  readonly specialTokens: ReadonlyMap<string, number>
  /** the >>xx<< target-language tokens of a multilingual model */
  readonly languageCodes: readonly string[]
  private readonly decoder: Map<number, string>
  private readonly clean: boolean

  constructor(
    readonly source: SentencePieceTokenizer,
    readonly target: SentencePieceTokenizer,
    readonly vocab: ReadonlyMap<string, number>,
    opts: MarianTokenizerOptions = {},
    where = 'vocab.json',
  ) {
    const need = (t: string): number => {
      const id = vocab.get(t)
      if (id === undefined) throw new LlmError(`'${t}' is not in the vocabulary`, { where })
      return id
    }
    this.eosTokenId = need(opts.eosToken ?? '</s>')
    this.unkTokenId = need(opts.unkToken ?? '<unk>')
    this.padTokenId = vocab.get(opts.padToken ?? '<pad>')
    const special = new Map<string, number>([[opts.eosToken ?? '</s>', this.eosTokenId], [opts.unkToken ?? '<unk>', this.unkTokenId]])
    if (this.padTokenId !== undefined) special.set(opts.padToken ?? '<pad>', this.padTokenId)
    this.specialTokens = special
    const out = opts.targetVocab ?? vocab
    this.decoder = new Map([...out].map(([piece, id]) => [id, piece]))
    let max = -1
    for (const id of vocab.values()) max = Math.max(max, id)
    for (const id of out.values()) max = Math.max(max, id)
    this.vocabSize = max + 1
    this.languageCodes = opts.targetVocab ? [] : [...vocab.keys()].filter((k) => k.startsWith('>>') && k.endsWith('<<'))
    this.clean = opts.cleanUpTokenizationSpaces ?? false
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = []
    encodeWithSpecials(text, allowedSpecialNames(this.specialTokens, opts.allowedSpecial), this.specialTokens, (t, out) => this.encodePlain(t, out), ids)
    if (opts.addSpecialTokens) ids.push(this.eosTokenId)
    return ids
  }

  /** MarianTokenizer._tokenize + _convert_token_to_id for text without special tokens */
  private encodePlain(text: string, out: number[]): void {
    if (text.length === 0) return
    const m = LANGUAGE_CODE.exec(text)
    if (m && m.index === 0) out.push(this.vocab.get(m[0]) ?? this.unkTokenId)
    const rest = text.replace(new RegExp(LANGUAGE_CODE.source, 'g'), '')
    for (const piece of this.source.encodeAsPieces(rest)) out.push(this.vocab.get(piece) ?? this.unkTokenId)
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    let text = ''
    let run: string[] = []
    for (const id of ids) {
      const piece = this.decoder.get(id) ?? this.idToTokenFallback(id)
      const isSpecial = this.specialTokens.has(piece)
      if (isSpecial && opts.skipSpecialTokens) continue
      if (isSpecial) { text += this.decodePieces(run) + piece + ' '; run = [] } else run.push(piece)
    }
    text += this.decodePieces(run)
    text = text.trim()
    return this.clean ? cleanUpTokenization(text) : text
  }

  private idToTokenFallback(id: number): string {
    if (!Number.isInteger(id) || id < 0) throw new LlmError(`token id ${id} is out of range`, { where: 'decode', hint: `ids must be 0..${this.vocabSize - 1}` })
    return this.decoder.get(this.unkTokenId) ?? '<unk>'
  }

  /**
   * target_spm.decode_pieces: pieces the target model knows decode as SentencePiece does; a piece
   * it lacks is written as it is, ▁ included, as sentencepiece's DecodePieces does (transformers
   * 4.x leaves it there; later versions replace ▁ with spaces after decoding).
   */
  private decodePieces(pieces: readonly string[]): string {
    if (pieces.length === 0) return ''
    const ids = pieces.map((p) => this.target.tokenToId(p))
    if (ids.every((id) => id !== undefined)) return this.target.decode(ids as number[])
    // sentencepiece_processor.cc Decode, with pieces outside the model kept verbatim: control
    // pieces vanish, runs of byte pieces decode as UTF-8, a known first piece loses its leading ▁
    let out = ''
    let bytes: number[] = []
    const flush = (): void => { if (bytes.length) out += this.target.decode(bytes); bytes = [] }
    let first = true
    pieces.forEach((p, i) => {
      const id = ids[i]
      if (id === undefined) { flush(); out += p; first = false; return }
      const type = this.target.pieceType(id)
      if (type === PieceType.BYTE) { bytes.push(id!); first = false; return }
      flush()
      if (type === PieceType.CONTROL) return
      let surface = type === PieceType.UNKNOWN ? this.target.proto.trainerSpec.unkSurface : p
      const spec = this.target.proto.normalizerSpec
      if (first && (spec.addDummyPrefix || spec.removeExtraWhitespaces) && surface.startsWith(SPACE_SYMBOL)) surface = surface.slice(SPACE_SYMBOL.length)
      first = false
      out += surface.replaceAll(SPACE_SYMBOL, ' ')
    })
    flush()
    return out
  }

  idToToken(id: number): string | undefined { return this.decoder.get(id) }
  tokenToId(token: string): number | undefined { return this.vocab.get(token) }
}

/** transformers' PreTrainedTokenizerBase.clean_up_tokenization */
export function cleanUpTokenization(s: string): string {
  return s.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',').replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re")
}

function readJsonMap(file: string): Map<string, number> {
  const v = readJsonObject(file, { hint: 'vocab.json maps each piece to its id' })
  const out = new Map<string, number>()
  for (const [k, id] of Object.entries(v)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new LlmError(`'${k}' has id ${JSON.stringify(id)}, not a non-negative integer`, { where: file })
    out.set(k, id as number)
  }
  return out
}

/** True when `dir` holds Marian's tokenizer files. */
export function isMarianTokenizerDir(dir: string): boolean {
  return existsSync(join(dir, 'source.spm')) && existsSync(join(dir, 'vocab.json'))
}

/** Open source.spm, target.spm (else source.spm), vocab.json and tokenizer_config.json's options. */
export function loadMarianTokenizer(dir: string): MarianTokenizer {
  const cfgFile = join(dir, 'tokenizer_config.json')
  let cfg: Record<string, unknown> = {}
  if (existsSync(cfgFile)) {
    cfg = readJsonObject(cfgFile)
  }
  const text = (k: string): string | undefined => {
    const v = cfg[k]
    return typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined
  }
  const source = loadSentencePieceModel(join(dir, 'source.spm'))
  const target = existsSync(join(dir, 'target.spm')) ? loadSentencePieceModel(join(dir, 'target.spm')) : source
  const separate = cfg.separate_vocabs === true
  return new MarianTokenizer(source, target, readJsonMap(join(dir, 'vocab.json')), {
    eosToken: text('eos_token'), unkToken: text('unk_token'), padToken: text('pad_token'),
    cleanUpTokenizationSpaces: cfg.clean_up_tokenization_spaces === true,
    targetVocab: separate ? readJsonMap(join(dir, 'target_vocab.json')) : undefined,
  }, join(dir, 'vocab.json'))
}
