/**
 * Translation with an encoder-decoder folder. How each family is told the languages:
 *   marian   one pair per model (tokenizer_config.json source_lang/target_lang, or the folder name
 *            opus-mt-SRC-TGT); multi-target models take a >>xx<< token before the text;
 *   t5       the task prefix of config.json task_specific_params "translation_SRC_to_TGT"
 *            (else "translate English to French: ", as Flan-T5 understands);
 *   m2m_100  M2M100 / NLLB: source = [src code] + text + </s>, and the target code forced as the
 *            first generated token (forced_bos_token_id), codes __fr__ or fra_Latn;
 *   mbart    mBART-50 like NLLB (fr_XX); mBART-cc25: text + </s> + [src code], decoding starts
 *            from the target code;
 *   others   (bart, …) fixed-direction models: the tokenizer's own special tokens, no language control.
 * Decoding starts from decoder_start_token_id; the encoder runs once per batch (its KV once per
 * source, see runtime/seq2seq.ts).
 */
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import type { ModelFolder } from '../model/folder.js'
import { readJsonObject as readJson } from '../json.js'
import { Seq2SeqRuntime, seq2seqStepModel } from '../runtime/seq2seq.js'
import { loadTokenizer } from '../../tokenizer/load.js'
import { isMarianTokenizerDir, loadMarianTokenizer, MarianTokenizer } from '../../tokenizer/marian.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { findLanguage, languageName, sameLanguage, spellings } from './languages.js'
import { decodeBatch, maxNewTokensFor, type OpenTranslatorOptions, type TranslationOut, type Translator } from './translator.js'

/** How the languages are told to the model: text prefix, ids around the source, decoding start. */
export interface Plan {
  from?: string
  to?: string
  textPrefix: string
  before: number[]
  after: number[]
  addSpecialTokens: boolean
  decoderStart: number
  forcedBos?: number
}

type Json = Record<string, unknown>

export class Seq2SeqTranslator implements Translator {
  readonly kind = 'seq2seq' as const
  readonly splitSentences = false
  readonly maxSourceTokens: number
  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: Tokenizer,
    readonly runtime: Seq2SeqRuntime,
    readonly plan: Plan,
    private readonly opts: OpenTranslatorOptions,
    limit: number,
  ) {
    this.maxSourceTokens = limit
  }

  get dir(): string { return this.folder.dir }
  get modelFile(): string { return this.folder.onnxFile }
  get device(): string { return this.runtime.encoder.device }
  get from(): string | undefined { return this.plan.from }
  get to(): string | undefined { return this.plan.to }

  static async open(folder: ModelFolder, opts: OpenTranslatorOptions): Promise<Seq2SeqTranslator> {
    const tokenizer = isMarianTokenizerDir(folder.dir) ? loadMarianTokenizer(folder.dir) : loadTokenizer(folder.tokenizerPath)
    const tokConfig = existsSync(join(folder.dir, 'tokenizer_config.json')) ? readJson(join(folder.dir, 'tokenizer_config.json')) : {}
    const plan = planDirection(folder, tokenizer, tokConfig, opts)
    const modelMax = typeof tokConfig.model_max_length === 'number' && tokConfig.model_max_length < 1e6 ? tokConfig.model_max_length : undefined
    const positions = num(folder.config?.max_position_embeddings)
    const limit = Math.min(modelMax ?? Infinity, positions ?? Infinity, modelMax === undefined && positions === undefined ? 512 : Infinity) - plan.before.length - plan.after.length
    const runtime = await Seq2SeqRuntime.open(folder.seq2seq!, { device: opts.device, threads: opts.threads })
    return new Seq2SeqTranslator(folder, tokenizer, runtime, plan, opts, Math.max(1, limit))
  }

  inputIds(text: string): number[] { return this.encode(text) }

  private encode(text: string): number[] {
    const p = this.plan
    return [...p.before, ...this.tokenizer.encode(p.textPrefix + text, { addSpecialTokens: p.addSpecialTokens }), ...p.after]
  }

  countTokens(text: string): number { return this.encode(text).length }

  async translateBatch(texts: readonly string[], call: { maxNewTokens?: number } = {}): Promise<TranslationOut[]> {
    if (texts.length === 0) return []
    const g = this.folder.generation
    const rows = texts.map((t) => this.encode(t))
    const pad = g.padTokenId ?? this.tokenizer.eosTokenId ?? 0
    const enc = await this.runtime.encode(rows, pad)
    const eos = this.folder.eosTokenIds ?? (this.tokenizer.eosTokenId !== undefined ? [this.tokenizer.eosTokenId] : [])
    // HF max_length counts the decoder start token; learned/sinusoidal positions end the decoder too
    const cap = Math.min(g.maxLength ?? 512, num(this.folder.config?.max_position_embeddings) ?? Infinity) - 1
    const hyps = await decodeBatch(seq2seqStepModel(this.runtime, enc, [this.plan.decoderStart]), rows.map(() => [this.plan.decoderStart]), {
      maxNewTokens: maxNewTokensFor(rows.map((r) => r.length), cap, call.maxNewTokens ?? this.opts.decode?.maxNewTokens),
      eosTokenIds: eos, badWordsIds: g.badWordsIds, forcedBosTokenId: this.plan.forcedBos, forcedEosTokenId: g.forcedEosTokenId, minLength: g.minLength,
    }, this.opts.decode ?? {}, g)
    return hyps.map((h, i) => {
      const body = h.tokens.filter((t, j) => !(j === 0 && t === this.plan.forcedBos) && !eos.includes(t))
      return { text: this.tokenizer.decode(body, { skipSpecialTokens: true }).trim(), sourceTokens: rows[i]!.length, outputTokens: h.tokens.length, finishReason: h.finishReason }
    })
  }

  async close(): Promise<void> { await this.runtime.release() }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

function unknownCode(which: '--from' | '--to', code: string, known: readonly string[], dir: string): LlmError {
  const list = known.length > 12 ? `${known.slice(0, 12).join(', ')}, … (${known.length} in all)` : known.join(', ')
  return usageError(`unknown language code '${code}' for this model`, { where: which, hint: known.length ? `${basename(dir)} knows ${list}` : `${basename(dir)} declares no languages` })
}

/** The model's own code token for `code`: the first spelling `wrap` turns into a token it has. */
function codeToken(tok: Tokenizer, code: string, wrap: (s: string) => string): { token: string; id: number } | undefined {
  for (const s of spellings(code)) {
    const id = tok.tokenToId(wrap(s))
    if (id !== undefined) return { token: wrap(s), id }
  }
  return undefined
}

function planDirection(folder: ModelFolder, tok: Tokenizer, tokConfig: Json, o: OpenTranslatorOptions): Plan {
  const config = folder.config ?? {}
  const type = String(config.model_type ?? '')
  const g = folder.generation
  const decoderStart = g.decoderStartTokenId ?? g.padTokenId ?? 0
  const base: Plan = { textPrefix: '', before: [], after: [], addSpecialTokens: true, decoderStart, forcedBos: g.forcedBosTokenId }
  const tokClass = String(tokConfig.tokenizer_class ?? '')

  if (type === 'marian') {
    const m = /opus-mt-([a-z]+)-([a-z]+)/i.exec(basename(folder.dir))
    const src = typeof tokConfig.source_lang === 'string' ? tokConfig.source_lang : m?.[1]
    const tgt = typeof tokConfig.target_lang === 'string' ? tokConfig.target_lang : m?.[2]
    const codes = tok instanceof MarianTokenizer ? tok.languageCodes : []
    if (o.from && src && !['mul', 'multi'].includes(src) && !sameLanguage(o.from, src)) throw unknownCode('--from', o.from, [src], folder.dir)
    const want = o.to ?? tgt
    if (codes.length) {
      // multi-target models: >>xx<< before the text picks the language
      if (!want) throw usageError('this multilingual model needs a target language', { where: '--to', hint: `one of ${codes.slice(0, 12).join(', ')}` })
      const code = codeToken(tok, want, (s) => `>>${s}<<`)
      if (code) return { ...base, from: o.from ?? src, to: want, textPrefix: `${code.token} ` }
      if (o.to) throw unknownCode('--to', o.to, codes, folder.dir)
    }
    if (o.to && tgt && !sameLanguage(o.to, tgt)) throw unknownCode('--to', o.to, [tgt], folder.dir)
    return { ...base, from: src ?? o.from, to: tgt ?? o.to }
  }

  if (type === 't5' || type === 'mt5') {
    const tsp = (config.task_specific_params ?? {}) as Record<string, { prefix?: string }>
    const pairs = Object.keys(tsp).map((k) => /^translation_(\w+?)_to_(\w+)$/.exec(k)).filter((x): x is RegExpExecArray => x !== null)
    const from = o.from ?? 'en'
    if (!o.to) throw usageError('a target language is needed', { where: '--to', hint: pairs.length ? `this model translates ${pairs.map((p) => `${p[1]}→${p[2]}`).join(', ')}` : 'e.g. --to fr' })
    if (pairs.length) {
      const hit = pairs.find((p) => sameLanguage(p[1]!, from) && sameLanguage(p[2]!, o.to!))
      if (!hit) {
        const which = pairs.some((p) => sameLanguage(p[1]!, from)) ? '--to' : '--from'
        throw usageError(`unknown language pair ${from}→${o.to} for this model`, { where: which, hint: `${basename(folder.dir)} translates ${pairs.map((p) => `${p[1]}→${p[2]}`).join(', ')}` })
      }
      return { ...base, from, to: o.to, textPrefix: tsp[hit[0]]!.prefix ?? '' }
    }
    if (!findLanguage(from)) throw unknownCode('--from', from, [], folder.dir)
    if (!findLanguage(o.to)) throw unknownCode('--to', o.to, [], folder.dir)
    return { ...base, from, to: o.to, textPrefix: `translate ${languageName(from)} to ${languageName(o.to)}: ` }
  }

  const nllb = /nllb/i.test(tokClass) || (type === 'm2m_100' && tok.tokenToId('eng_Latn') !== undefined)
  const m2m = type === 'm2m_100' && !nllb
  const mbart = type === 'mbart'
  if (nllb || m2m || mbart) {
    const wrap = m2m ? (s: string) => `__${s}__` : (s: string) => s
    const known = [...(tok.specialTokens?.keys() ?? [])].filter((t) => (m2m ? /^__\w+__$/.test(t) : /^[a-z]{2,3}_[A-Za-z]{2,4}$/.test(t)))
    if (!o.to) throw usageError('a target language is needed', { where: '--to', hint: `e.g. --to fr (codes like ${known.slice(0, 4).join(', ')})` })
    const from = o.from ?? 'en'
    const src = codeToken(tok, from, wrap)
    if (!src) throw unknownCode('--from', from, known, folder.dir)
    const tgt = codeToken(tok, o.to, wrap)
    if (!tgt) throw unknownCode('--to', o.to, known, folder.dir)
    const eos = tok.eosTokenId
    if (eos === undefined) throw new LlmError('the tokenizer has no EOS token', { where: folder.tokenizerPath })
    if (mbart && !/50/.test(tokClass)) {
      // mBART-cc25 (MBartTokenizer): X </s> src_code; generation starts from the target code
      return { ...base, from, to: o.to, before: [], after: [eos, src.id], addSpecialTokens: false, decoderStart: tgt.id, forcedBos: undefined }
    }
    return { ...base, from, to: o.to, before: [src.id], after: [eos], addSpecialTokens: false, forcedBos: tgt.id }
  }

  // fixed-direction models without language tokens: translate_config.json may declare the pair
  const tc = existsSync(join(folder.dir, 'translate_config.json')) ? readJson(join(folder.dir, 'translate_config.json')) : {}
  const src = typeof tc.source_lang === 'string' ? tc.source_lang : undefined
  const tgt = typeof tc.target_lang === 'string' ? tc.target_lang : undefined
  if (o.from && src && !sameLanguage(o.from, src)) throw unknownCode('--from', o.from, [src], folder.dir)
  if (o.to && tgt && !sameLanguage(o.to, tgt)) throw unknownCode('--to', o.to, [tgt], folder.dir)
  return { ...base, from: src ?? o.from, to: tgt ?? o.to }
}
