import { LlmError } from '../../core/errors.js'
import type { Llama2cTokenizer } from '../llama2c/index.js'
import { PieceType } from './model-proto.js'
import type { SentencePieceTokenizer } from './index.js'
import { SPACE_SYMBOL } from './normalizer.js'

/**
 * Convert a SentencePiece BPE model (or a llama2.c tokenizer.bin, which is one exported to a
 * flat file) into a Hugging Face `tokenizer.json` object, laid out as transformers'
 * `LlamaConverter` writes it (legacy mode, as Llama 2's own tokenizer.json):
 *  - model BPE: vocab = the pieces by id, merges derived from the scores the way
 *    `SentencePieceExtractor` does (every split of a piece into two pieces, ordered by the
 *    piece's score, highest first), `fuse_unk`, `byte_fallback`;
 *  - normalizer: Prepend("▁") (when the model adds a dummy prefix) + Replace(" " → "▁");
 *  - decoder: Replace("▁" → " "), ByteFallback, Fuse, Strip(1 leading space);
 *  - post-processor: TemplateProcessing that adds BOS;
 *  - <unk>/<s>/</s> (and other control pieces) as special added tokens.
 *
 * Known, by-design differences from SentencePiece (they are the converter's, not ours): runs of
 * spaces and a trailing space are not removed (`remove_extra_whitespaces` is dropped), and
 * control-token text such as "<s>" in the input becomes the control token. Models this layout
 * cannot represent (a non-identity normalizer charsmap, user-defined symbols, Unigram) are
 * refused rather than converted approximately.
 */

export interface HfConvertOptions {
  /** add BOS in the post-processor (Llama: true) */
  addBos?: boolean
  /** add EOS in the post-processor (Llama: false) */
  addEos?: boolean
}

/** What both sources provide: pieces in SentencePiece spelling (▁ for space), scores, types. */
interface PieceTable {
  pieces: string[]
  scores: number[]
  types: number[]
  unkId: number
  bosId?: number
  eosId?: number
  byteFallback: boolean
  addDummyPrefix: boolean
}

export function sentencePieceToHfTokenizerJson(sp: SentencePieceTokenizer, opts: HfConvertOptions = {}): Record<string, unknown> {
  if (sp.modelType !== 'bpe') {
    throw new LlmError(`cannot convert a ${sp.modelType} SentencePiece model to a Llama-style tokenizer.json`, { hint: 'only BPE models convert (LlamaConverter)' })
  }
  if (sp.proto.normalizerSpec.precompiledCharsmap.length > 0) {
    throw new LlmError(`cannot convert a model with the '${sp.proto.normalizerSpec.name}' normalizer to a Llama-style tokenizer.json`, { hint: 'only identity-normalized models (like Llama\'s) convert exactly' })
  }
  const n = sp.vocabSize
  if (Array.from({ length: n }, (_, i) => sp.pieceType(i)).includes(PieceType.USER_DEFINED)) {
    throw new LlmError('cannot convert a model with user-defined symbols to a Llama-style tokenizer.json', { hint: 'Hugging Face would match them as added tokens, which SentencePiece does not' })
  }
  const table: PieceTable = {
    pieces: Array.from({ length: n }, (_, i) => sp.idToToken(i)!),
    scores: Array.from({ length: n }, (_, i) => sp.score(i)),
    types: Array.from({ length: n }, (_, i) => sp.pieceType(i)),
    unkId: sp.unkTokenId ?? 0,
    bosId: sp.bosTokenId,
    eosId: sp.eosTokenId,
    byteFallback: sp.byteFallback,
    addDummyPrefix: sp.proto.normalizerSpec.addDummyPrefix,
  }
  return buildLlamaTokenizerJson(table, opts)
}

/**
 * A llama2.c tokenizer.bin holds the same pieces with "▁" written as " ", BOS/EOS as
 * "\n<s>\n"/"\n</s>\n", ids 0..2 = <unk>, <s>, </s> and 3..258 = <0x00>..<0xFF> (tokenizer.py
 * export). Its encoder is SentencePiece-BPE with byte fallback and a dummy prefix.
 */
export function llama2cToHfTokenizerJson(tok: Llama2cTokenizer, opts: HfConvertOptions = {}): Record<string, unknown> {
  const n = tok.vocabSize
  const pieces: string[] = []
  const types: number[] = []
  for (let i = 0; i < n; i++) {
    if (i === 0) { pieces.push('<unk>'); types.push(PieceType.UNKNOWN); continue }
    if (i === 1) { pieces.push('<s>'); types.push(PieceType.CONTROL); continue }
    if (i === 2) { pieces.push('</s>'); types.push(PieceType.CONTROL); continue }
    const text = tok.idToToken(i)!
    if (i < 259) {
      const want = `<0x${(i - 3).toString(16).toUpperCase().padStart(2, '0')}>`
      if (text !== want) throw new LlmError(`token ${i} is '${text}', expected the byte token ${want}`, { hint: 'not a llama2.c tokenizer with byte fallback' })
      pieces.push(text)
      types.push(PieceType.BYTE)
      continue
    }
    pieces.push(text.replaceAll(' ', SPACE_SYMBOL))
    types.push(PieceType.NORMAL)
  }
  const scores = Array.from({ length: n }, (_, i) => tok.score(i))
  return buildLlamaTokenizerJson({ pieces, scores, types, unkId: 0, bosId: 1, eosId: 2, byteFallback: true, addDummyPrefix: true }, opts)
}

/**
 * BPE merges from piece scores, as transformers' SentencePieceExtractor: for each piece (in id
 * order) every split into two vocab pieces, the splits of one piece ordered by the ids of
 * (left, right), then all merges stably sorted by the piece's score, highest first.
 */
export function mergesFromScores(pieces: readonly string[], scores: readonly number[]): Array<[string, string, number]> {
  const vocab = new Map<string, number>()
  pieces.forEach((p, i) => vocab.set(p, i))
  const merges: Array<[string, string, number, number]> = []
  let order = 0
  pieces.forEach((piece, id) => {
    const chars = Array.from(piece)
    const local: Array<[string, string, number, number, number]> = []
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join('')
      const r = chars.slice(k).join('')
      const li = vocab.get(l)
      const ri = vocab.get(r)
      if (li !== undefined && ri !== undefined) local.push([l, r, scores[id]!, li, ri])
    }
    local.sort((a, b) => a[3] - b[3] || a[4] - b[4])
    for (const m of local) merges.push([m[0], m[1], m[2], order++])
  })
  merges.sort((a, b) => b[2] - a[2] || a[3] - b[3])
  return merges.map(([l, r, s]) => [l, r, s])
}

function buildLlamaTokenizerJson(t: PieceTable, opts: HfConvertOptions): Record<string, unknown> {
  const addBos = opts.addBos ?? true
  const addEos = opts.addEos ?? false
  // LlamaConverter gives <unk>, <s>, </s> score 0 before deriving merges
  const scores = t.scores.map((s, i) => (i < 3 ? 0 : s))
  const vocab: Record<string, number> = {}
  t.pieces.forEach((p, i) => { if (!(p in vocab)) vocab[p] = i })
  const merges = mergesFromScores(t.pieces, scores).map(([l, r]) => [l, r])

  const addedTokens = t.pieces.flatMap((content, id) => {
    const type = t.types[id]
    if (type !== PieceType.UNKNOWN && type !== PieceType.CONTROL && type !== PieceType.USER_DEFINED) return []
    return [{ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: type !== PieceType.USER_DEFINED }]
  })

  const normalizers: unknown[] = []
  if (t.addDummyPrefix) normalizers.push({ type: 'Prepend', prepend: SPACE_SYMBOL })
  normalizers.push({ type: 'Replace', pattern: { String: ' ' }, content: SPACE_SYMBOL })

  const decoders: unknown[] = [
    { type: 'Replace', pattern: { String: SPACE_SYMBOL }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
  ]
  if (t.addDummyPrefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 })

  const bos = t.bosId !== undefined ? t.pieces[t.bosId]! : undefined
  const eos = t.eosId !== undefined ? t.pieces[t.eosId]! : undefined
  const special = (tok: string | undefined, typeId: number): unknown[] => (tok ? [{ SpecialToken: { id: tok, type_id: typeId } }] : [])
  const single = [...(addBos ? special(bos, 0) : []), { Sequence: { id: 'A', type_id: 0 } }, ...(addEos ? special(eos, 0) : [])]
  const pair = [
    ...single,
    ...(addBos ? special(bos, 1) : []), { Sequence: { id: 'B', type_id: 1 } }, ...(addEos ? special(eos, 1) : []),
  ]
  const specialTokens: Record<string, unknown> = {}
  if (addBos && bos) specialTokens[bos] = { id: bos, ids: [t.bosId], tokens: [bos] }
  if (addEos && eos) specialTokens[eos] = { id: eos, ids: [t.eosId], tokens: [eos] }

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing', single, pair, special_tokens: specialTokens },
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: t.pieces[t.unkId]!,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: t.byteFallback,
      ignore_merges: false,
      vocab,
      merges,
    },
  }
}

/**
 * The `tokenizer_config.json` that goes beside a converted tokenizer.json (transformers.js needs
 * the file to exist; BOS is added by tokenizer.json's post-processor, not by add_bos_token).
 */
export function llamaTokenizerConfig(
  json: Record<string, unknown>,
  tokens: { bos?: string; eos?: string; unk?: string; modelMaxLength?: number } = {},
): Record<string, unknown> {
  const added = (json.added_tokens as Array<{ id: number; content: string; special: boolean }>) ?? []
  const decoder: Record<string, unknown> = {}
  for (const a of added) decoder[String(a.id)] = { content: a.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: a.special }
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    bos_token: tokens.bos ?? '<s>',
    eos_token: tokens.eos ?? '</s>',
    unk_token: tokens.unk ?? ((json.model as { unk_token?: string })?.unk_token ?? '<unk>'),
    clean_up_tokenization_spaces: false,
    legacy: true,
    ...(tokens.modelMaxLength ? { model_max_length: tokens.modelMaxLength } : {}),
    tokenizer_class: 'LlamaTokenizer',
  }
}
