/**
 * Translation with a decoder-only model, two ways:
 *   prompt — translate_config.json in the folder says how the model was trained to translate:
 *              { "directions": { "en-fr": "<en> {source} <fr>" },   the prompt per direction
 *                "stop": ["\n"],                                     cut the output there (optional)
 *                "max_source_tokens": 64,                            longest piece (optional)
 *                "split_sentences": true,                            sentence-level model (optional)
 *                "num_beams": 4, "length_penalty": 1.0 }             decoding defaults (optional)
 *            The prompt is encoded with the tokenizer's special tokens (BOS); the model writes the
 *            translation and EOS.
 *   chat   — a model with a chat template gets the prompt template's messages (the built-in
 *            'translate', or -t), the text delimited as data.
 * Pieces of a batch are left-padded into one forward pass (beam.ts decoderStepModel).
 */
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import { decoderStepModel, type EarlyStopping } from '../generate/beam.js'
import { definedOnly, readJsonObject as readJson } from '../json.js'
import type { Model } from '../model/load.js'
import { languageName, sameLanguage } from './languages.js'
import { buildPrompt } from '../prompts/build.js'
import { resolveTemplate } from '../prompts/index.js'
import { decodeBatch, maxNewTokensFor, type DecodeSettings, type OpenTranslatorOptions, type TranslationOut, type Translator } from './translator.js'

export interface TranslateConfig {
  directions: Record<string, string>
  stop: string[]
  maxSourceTokens?: number
  splitSentences: boolean
  decode: DecodeSettings
}

/** translate_config.json of a folder, or undefined when it has none. */
export function readTranslateConfig(dir: string): TranslateConfig | undefined {
  const file = join(dir, 'translate_config.json')
  if (!existsSync(file)) return undefined
  const j = readJson(file)
  const directions = j.directions
  if (typeof directions !== 'object' || directions === null || Array.isArray(directions) || !Object.values(directions).every((v) => typeof v === 'string' && v.includes('{source}'))) {
    throw new LlmError("'directions' must map \"src-tgt\" to a prompt containing {source}", { where: file })
  }
  const stop = Array.isArray(j.stop) && j.stop.every((s) => typeof s === 'string') ? (j.stop as string[]) : []
  const n = (k: string): number | undefined => (typeof j[k] === 'number' ? (j[k] as number) : undefined)
  const early = j.early_stopping
  return {
    directions: directions as Record<string, string>, stop,
    maxSourceTokens: n('max_source_tokens'), splitSentences: j.split_sentences === true,
    decode: { numBeams: n('num_beams'), lengthPenalty: n('length_penalty'), earlyStopping: typeof early === 'boolean' || early === 'never' ? (early as EarlyStopping) : undefined, noRepeatNgramSize: n('no_repeat_ngram_size') },
  }
}


export class DecoderTranslator implements Translator {
  readonly maxSourceTokens: number
  readonly splitSentences: boolean
  private constructor(
    readonly kind: 'prompt' | 'chat',
    readonly model: Model,
    readonly from: string | undefined,
    readonly to: string | undefined,
    private readonly render: (text: string) => number[],
    private readonly stop: readonly string[],
    private readonly settings: DecodeSettings,
    private readonly maxNew?: number,
    cfg?: TranslateConfig,
  ) {
    const context = model.folder.contextLength ?? 2048
    const overhead = render('').length
    // the source and its translation share the context: half each, or what the config says
    const half = Math.floor((context - overhead) / 2)
    this.maxSourceTokens = Math.max(1, Math.min(half, cfg?.maxSourceTokens ?? half))
    this.splitSentences = cfg?.splitSentences ?? false
  }

  get dir(): string { return this.model.folder.dir }
  get modelFile(): string { return this.model.folder.onnxFile }
  get device(): string { return this.model.decoder.session.device }

  /** A prompt-format model (translate_config.json) or a chat model; otherwise a one-line error. */
  static open(model: Model, o: OpenTranslatorOptions): DecoderTranslator {
    const dir = model.folder.dir
    const cfg = readTranslateConfig(dir)
    const tok = model.tokenizer
    if (cfg) {
      const keys = Object.keys(cfg.directions)
      const match = keys.filter((k) => {
        const [s, t] = k.split('-')
        return (!o.from || sameLanguage(o.from, s!)) && (!o.to || sameLanguage(o.to, t!))
      })
      if (match.length !== 1) {
        const pairs = keys.map((k) => k.replace('-', '→')).join(', ')
        if (match.length > 1) throw usageError('this model translates several directions: say which', { where: '--to', hint: `one of ${pairs} (--from, --to)` })
        const badTo = o.to !== undefined && !keys.some((k) => sameLanguage(o.to!, k.split('-')[1]!))
        const badFrom = o.from !== undefined && !keys.some((k) => sameLanguage(o.from!, k.split('-')[0]!))
        if (badTo || badFrom) throw usageError(`unknown language code '${badTo ? o.to : o.from}' for this model`, { where: badTo ? '--to' : '--from', hint: `${basename(dir)} translates ${pairs}` })
        throw usageError(`unknown language pair ${o.from}→${o.to} for this model`, { where: '--to', hint: `${basename(dir)} translates ${pairs}` })
      }
      const [src, tgt] = match[0]!.split('-')
      const template = cfg.directions[match[0]!]!
      const render = (text: string): number[] => tok.encode(template.replace('{source}', () => text), { addSpecialTokens: true })
      return new DecoderTranslator('prompt', model, src, tgt, render, cfg.stop, { ...cfg.decode, ...definedOnly(o.decode ?? {}) }, o.decode?.maxNewTokens, cfg)
    }
    if (model.hasChatTemplate) {
      if (!o.to) throw usageError('a target language is needed', { where: '--to', hint: 'e.g. --to fr' })
      const to = o.to
      // the prompt template (built-in 'translate' unless -t): the text goes in as delimited data
      const template = o.template ?? resolveTemplate('translate')
      const provided = { target: languageName(to), source: o.from ? languageName(o.from) : '' }
      const render = (text: string): number[] => model.encodePrompt(buildPrompt(template, { input: text, provided, params: o.params, chat: true }).prompt)
      return new DecoderTranslator('chat', model, o.from, to, render, [], o.decode ?? {}, o.decode?.maxNewTokens)
    }
    throw new LlmError('this model cannot translate: it has no encoder-decoder graph, no translate_config.json and no chat template', {
      where: dir,
      hint: 'use a translation model (an opus-mt/T5/NLLB folder), a chat model, or the bundled models/translate-en-fr',
    })
  }

  countTokens(text: string): number { return this.model.tokenizer.encode(text).length }
  inputIds(text: string): number[] { return this.render(text) }

  async translateBatch(texts: readonly string[], call: { maxNewTokens?: number } = {}): Promise<TranslationOut[]> {
    if (texts.length === 0) return []
    const m = this.model
    const prompts = texts.map((t) => this.render(t))
    const context = m.folder.contextLength ?? 2048
    const longest = Math.max(...prompts.map((p) => p.length))
    if (longest >= context) throw new LlmError(`a prompt of ${longest} tokens does not fit the model's context of ${context}`, { where: m.folder.dir, hint: 'lower max_source_tokens in translate_config.json' })
    const g = m.folder.generation
    const sources = texts.map((t) => this.countTokens(t))
    const pad = g.padTokenId ?? m.eosTokenIds[0] ?? 0
    const hyps = await decodeBatch(decoderStepModel(m.decoder, prompts, pad), prompts, {
      maxNewTokens: maxNewTokensFor(sources, prompts.map((p) => context - p.length), call.maxNewTokens ?? this.maxNew),
      eosTokenIds: m.eosTokenIds, badWordsIds: g.badWordsIds,
    }, this.settings, { ...g, numBeams: g.numBeams, doSample: false })
    const eos = new Set(m.eosTokenIds)
    return hyps.map((h, i) => {
      let text = m.tokenizer.decode(h.tokens.filter((t) => !eos.has(t)), { skipSpecialTokens: true })
      // a stop string ends the translation where it starts: then nothing was cut, whatever followed
      let finishReason = h.finishReason
      for (const s of this.stop) { const at = text.indexOf(s); if (at >= 0) { text = text.slice(0, at); finishReason = 'eos' } }
      if (this.kind === 'chat') text = text.replace(/\s*\n\s*/g, ' ')
      return { text: text.trim(), sourceTokens: prompts[i]!.length, outputTokens: h.tokens.length, finishReason }
    })
  }

  async close(): Promise<void> { await this.model.release() }
}

