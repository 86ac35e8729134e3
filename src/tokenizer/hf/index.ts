import { readTokenizerText } from '../read.js'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { LlmError } from '../../core/errors.js'
import type { DecodeOptions, EncodeOptions, Tokenizer } from '../types.js'
import { type AddedToken, AddedTokenMatcher } from './added-tokens.js'
import { toByteLevel, toWellFormed } from './chars.js'
import { type Decoder, buildDecoder, byteLevelTokenBytes, joinBytesLossy } from './decoders.js'
import { type Ctx, asObject, fail } from './json.js'
import { type Model, buildModel } from './models.js'
import { type Normalizer, buildNormalizer } from './normalizers.js'
import { type PostProcessor, buildPostProcessor } from './post-processors.js'
import { type PreTokenizer, buildPreTokenizer, endsInByteLevel } from './pre-tokenizers.js'
import { readJsonObject } from '../../core/json.js'

export interface HfTokenizerOptions {
  /** BOS / EOS token texts (tokenizer_config.json's bos_token / eos_token) */
  bosToken?: string
  eosToken?: string
}

/** pieces up to this many UTF-16 units are cached (word → ids) */
const CACHE_MAX_PIECE = 256
const CACHE_MAX_ENTRIES = 100_000
const BOS_NAMES = ['<s>', '<|begin_of_text|>', '<bos>', '<|startoftext|>', '[CLS]', '<|endoftext|>']
const EOS_NAMES = ['</s>', '<|end_of_text|>', '<eos>', '<|endoftext|>', '[SEP]']

/**
 * A Hugging Face `tokenizer.json`, reimplemented: added tokens → normalizer → pre-tokenizer →
 * model → post-processor, and the decoder chain back. Ids equal the official `tokenizers`
 * library's `encode(text, add_special_tokens)` (see test/tokenizer/hf). Truncation and padding
 * settings in the file are ignored: they are batch concerns, not tokenization.
 */
export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf'
  readonly vocabSize: number
  readonly bosTokenId?: number
  readonly eosTokenId?: number
  readonly specialTokens: ReadonlyMap<string, number>
  /** the file (or label) this was built from */
  readonly source: string
  /** the model type: 'BPE', 'WordPiece' or 'WordLevel' */
  readonly modelType: string
  readonly addedTokens: readonly AddedToken[]

  private readonly model: Model
  private readonly normalizer?: Normalizer
  private readonly preTokenizer?: PreTokenizer
  private readonly postProcessor: PostProcessor
  private readonly decoder?: Decoder
  private readonly rawMatcher: AddedTokenMatcher
  private readonly normMatcher: AddedTokenMatcher
  private readonly addedById = new Map<number, AddedToken>()
  private readonly addedText = new Map<number, string>()
  private readonly addedByContent = new Map<string, AddedToken>()
  private readonly specialSet = new Set<string>()
  private readonly idToTok: string[] = []
  /** the pre-tokenizer ends in ByteLevel and left the byte→char mapping to us (cache raw pieces) */
  private readonly deferredByteLevel: boolean
  private readonly cache = new Map<string, number[]>()
  /** the decoder is exactly ByteLevel: decode through per-id byte arrays */
  private readonly byteLevelDecoder: boolean
  private readonly tokenBytes: Uint8Array[] = []
  /**
   * SentencePiece-style BPE without a pre-tokenizer (Llama) sees a whole segment as one word.
   * When no vocab token has '▁' after a non-'▁' char, no merge can cross the point before a run
   * of '▁', so cutting the segment there gives the same ids and makes words cacheable.
   */
  private readonly cutBeforeMetaspace: boolean

  private constructor(obj: unknown, ctx: Ctx, opts: HfTokenizerOptions) {
    this.source = ctx.source
    const root = asObject(ctx, obj, 'tokenizer.json')
    if (root.model === undefined) fail(ctx, 'not a tokenizer.json: no "model" field')
    this.model = buildModel(ctx, root.model)
    this.modelType = this.model.type
    this.normalizer = buildNormalizer(ctx, root.normalizer)
    this.preTokenizer = buildPreTokenizer(ctx, root.pre_tokenizer)
    this.deferredByteLevel = endsInByteLevel(this.preTokenizer)
    this.cutBeforeMetaspace = this.preTokenizer === undefined && this.model.bpe !== undefined &&
      this.model.bpe.splittableAt('\u2581')
    this.postProcessor = buildPostProcessor(ctx, root.post_processor)
    this.decoder = buildDecoder(ctx, root.decoder)
    this.byteLevelDecoder = (root.decoder as { type?: unknown } | null | undefined)?.type === 'ByteLevel'

    let maxId = -1
    for (const [tok, id] of this.model.vocab) {
      this.idToTok[id] = tok
      if (id > maxId) maxId = id
    }
    const added = assignIds(readAddedTokens(ctx, root.added_tokens), this.model.vocab)
    this.addedTokens = added
    for (const t of added) {
      // tokenizers keeps a normalized token's NORMALIZED text for id→token (and so for decode and
      // the skip_special_tokens check, which then no longer recognises it as special)
      this.addedText.set(t.id, t.normalized && this.normalizer ? this.normalizer(t.content) : t.content)
      this.addedById.set(t.id, t)
      this.addedByContent.set(t.content, t)
      if (t.special) this.specialSet.add(t.content)
      if (t.id > maxId) maxId = t.id
    }
    this.vocabSize = maxId + 1
    // tokenizers lists special tokens first, then the others, each in file order
    const ordered = [...added.filter((t) => t.special), ...added.filter((t) => !t.special)]
    const raw = ordered.filter((t) => !t.normalized)
    const norm = ordered.filter((t) => t.normalized)
    this.rawMatcher = new AddedTokenMatcher(raw, raw.map((t) => t.content))
    this.normMatcher = new AddedTokenMatcher(norm, norm.map((t) => (this.normalizer ? this.normalizer(t.content) : t.content)))
    this.specialTokens = new Map(added.filter((t) => t.special).map((t) => [t.content, t.id]))

    const byName = (names: string[]): number | undefined => {
      for (const n of names) {
        const id = this.tokenToId(n)
        if (id !== undefined) return id
      }
      return undefined
    }
    this.bosTokenId = (opts.bosToken !== undefined ? this.tokenToId(opts.bosToken) : undefined) ?? this.postProcessor.before[0] ?? byName(BOS_NAMES)
    this.eosTokenId = (opts.eosToken !== undefined ? this.tokenToId(opts.eosToken) : undefined) ?? this.postProcessor.after.at(-1) ?? byName(EOS_NAMES)
  }

  /** Build from a parsed tokenizer.json object; `source` names it in errors. */
  static fromJSON(obj: unknown, source = 'tokenizer.json', opts: HfTokenizerOptions = {}): HfTokenizer {
    return new HfTokenizer(obj, { source }, opts)
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    text = toWellFormed(text)
    const ids: number[] = []
    const a = opts.allowedSpecial ?? 'none'
    const allow: (t: AddedToken) => boolean =
      a === 'all' ? () => true : a === 'none' ? (t) => !t.special : (t) => !t.special || a.has(t.content)
    const noRaw = this.rawMatcher.size === 0 || (a === 'none' && !this.rawMatcher.hasNonSpecial)
    const noNorm = this.normMatcher.size === 0 || (a === 'none' && !this.normMatcher.hasNonSpecial)
    const pushId = (id: number): void => { ids.push(id) }
    const normalizedPart = (seg: string, atStart: boolean): void => {
      const n = this.normalizer ? this.normalizer(seg) : seg
      if (noNorm) this.preTokenizeAndModel(n, atStart, ids)
      else this.normMatcher.split(n, allow, (s, e) => this.preTokenizeAndModel(n.slice(s, e), atStart && s === 0, ids), pushId)
    }
    if (noRaw) {
      if (text.length > 0) normalizedPart(text, true)
    } else {
      this.rawMatcher.split(text, allow, (s, e) => normalizedPart(text.slice(s, e), s === 0), pushId)
    }
    return opts.addSpecialTokens ? this.postProcessor.wrap(ids) : ids
  }

  private preTokenizeAndModel(s: string, atStart: boolean, out: number[]): void {
    if (s.length === 0) return
    if (this.preTokenizer === undefined) {
      if (!this.cutBeforeMetaspace) { this.tokenizePiece(s, out); return }
      let start = 0
      for (let i = s.indexOf('\u2581', 1); i > 0; i = s.indexOf('\u2581', i + 1)) {
        if (s.charCodeAt(i - 1) === 0x2581) continue
        this.tokenizePiece(s.slice(start, i), out)
        start = i
      }
      this.tokenizePiece(start === 0 ? s : s.slice(start), out)
      return
    }
    const pieces: string[] = []
    this.preTokenizer.split(s, atStart, pieces)
    for (let i = 0; i < pieces.length; i++) this.tokenizePiece(pieces[i]!, out)
  }

  private tokenizePiece(p: string, out: number[]): void {
    const hit = this.cache.get(p)
    if (hit !== undefined) {
      for (let i = 0; i < hit.length; i++) out.push(hit[i]!)
      return
    }
    const start = out.length
    const bpe = this.model.bpe
    if (!this.deferredByteLevel) this.model.tokenize(p, out)
    else if (bpe?.byteIds !== undefined && !bpe.ignoreMerges) bpe.tokenizeRawBytes(p, out)
    else this.model.tokenize(toByteLevel(p), out)
    if (p.length <= CACHE_MAX_PIECE) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear()
      this.cache.set(p, out.slice(start))
    }
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (this.byteLevelDecoder) return this.decodeByteLevel(ids, opts.skipSpecialTokens === true)
    const tokens: string[] = []
    for (const id of ids) {
      const t = this.idToToken(id)
      // unknown ids are dropped, as tokenizers does
      if (t === undefined) continue
      if (opts.skipSpecialTokens && this.specialSet.has(t)) continue
      tokens.push(t)
    }
    return this.decoder ? this.decoder(tokens).join('') : tokens.join(' ')
  }

  /** the plain ByteLevel decoder, with each token's bytes computed once */
  private decodeByteLevel(ids: readonly number[], skipSpecial: boolean): string {
    const parts: Uint8Array[] = []
    for (const id of ids) {
      let b = this.tokenBytes[id]
      if (b === undefined) {
        const t = this.idToToken(id)
        if (t === undefined) continue
        b = this.tokenBytes[id] = byteLevelTokenBytes(t)
      }
      if (skipSpecial && this.specialSet.size > 0 && this.specialSet.has(this.idToToken(id)!)) continue
      parts.push(b)
    }
    return joinBytesLossy(parts)
  }

  idToToken(id: number): string | undefined {
    return this.addedText.get(id) ?? this.idToTok[id]
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.vocab.get(token)
  }
}

function readAddedTokens(ctx: Ctx, v: unknown): AddedToken[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) fail(ctx, 'added_tokens is not an array')
  return v.map((x, i) => {
    const o = asObject(ctx, x, `added_tokens[${i}]`)
    if (typeof o.id !== 'number' || typeof o.content !== 'string') fail(ctx, `added_tokens[${i}] needs a numeric "id" and a string "content"`)
    const special = o.special === true
    return {
      id: o.id,
      content: o.content,
      special,
      singleWord: o.single_word === true,
      lstrip: o.lstrip === true,
      rstrip: o.rstrip === true,
      normalized: typeof o.normalized === 'boolean' ? o.normalized : !special,
    }
  })
}

/**
 * tokenizers ignores the ids written in added_tokens: a token whose text is in the vocab (or was
 * added before) takes that id, any other the next free id after the model's vocab
 * (AddedVocabulary::add_tokens). Identical entries and empty texts are skipped.
 */
function assignIds(tokens: AddedToken[], vocab: ReadonlyMap<string, number>): AddedToken[] {
  const byContent = new Map<string, number>()
  const out: AddedToken[] = []
  let maxAdded = -1
  for (const t of tokens) {
    if (t.content.length === 0) continue
    if (out.some((o) => o.content === t.content && o.special === t.special && o.singleWord === t.singleWord &&
      o.lstrip === t.lstrip && o.rstrip === t.rstrip && o.normalized === t.normalized)) continue
    let id = byContent.get(t.content) ?? vocab.get(t.content)
    if (id === undefined) id = maxAdded < 0 ? vocab.size : maxAdded >= vocab.size || vocab.size === 0 ? maxAdded + 1 : vocab.size
    byContent.set(t.content, id)
    if (id > maxAdded) maxAdded = id
    out.push({ ...t, id })
  }
  return out
}

/** bos_token / eos_token of tokenizer_config.json: a string or an AddedToken object */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content
  return undefined
}

/**
 * Load a Hugging Face tokenizer.json. A tokenizer_config.json beside it, when present, names the
 * BOS/EOS tokens.
 */
export function loadHfTokenizer(path: string): HfTokenizer {
  const text = readTokenizerText(path)
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch (e) {
    throw new LlmError(`not valid JSON: ${(e as Error).message}`, { where: path, hint: 'is the tokenizer.json complete? re-download or re-convert it' })
  }
  const opts: HfTokenizerOptions = {}
  const cfgPath = join(dirname(path), 'tokenizer_config.json')
  if (existsSync(cfgPath)) {
    try {
      const cfg = readJsonObject(cfgPath)
      opts.bosToken = tokenText(cfg.bos_token)
      opts.eosToken = tokenText(cfg.eos_token)
    } catch {
      // a broken side file only loses the BOS/EOS hint; the tokenizer itself is fine
    }
  }
  return HfTokenizer.fromJSON(obj, path, opts)
}
