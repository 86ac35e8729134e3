/**
 * What every kind of translation model offers `translateDocument`: a source budget in tokens,
 * a token counter, and batched translation of plain pieces of text. Three kinds:
 *   seq2seq — an encoder-decoder folder (Marian, T5, BART/mBART, M2M100/NLLB): seq2seq.ts;
 *   prompt  — a decoder-only model with translate_config.json naming its prompt per direction
 *             (the bundled translator): decoder.ts;
 *   chat    — a decoder-only model with a chat template, asked for a translation: decoder.ts.
 * Decoding is Hugging Face's: greedy, or beam search when num_beams > 1 (flags, then the model's
 * translate_config.json / generation_config.json).
 */
import { beamSearch, greedySearch, resolveBeam, type BeamSettings, type Hypothesis, type SearchOptions, type StepModel } from '../generate/beam.js'
import type { GenerationDefaults, ModelDtype } from '../model/folder.js'
import type { PromptTemplate } from '../prompts/template.js'

export type TranslatorKind = 'seq2seq' | 'prompt' | 'chat'

export interface TranslationOut {
  text: string
  /** tokens the model read (prompt or encoder input) and wrote (EOS included) */
  sourceTokens: number
  outputTokens: number
  finishReason: 'eos' | 'length'
}

export interface Translator {
  readonly kind: TranslatorKind
  readonly dir: string
  /** the ONNX file that identifies the model (results files hash it) */
  readonly modelFile: string
  /** the execution provider in use */
  readonly device: string
  /** the direction actually used, e.g. { from: 'en', to: 'fr' } (undefined when the model does not say) */
  readonly from?: string
  readonly to?: string
  /** most source tokens one piece may have */
  readonly maxSourceTokens: number
  /** the model was trained on single sentences: split every unit into sentences */
  readonly splitSentences: boolean
  countTokens(text: string): number
  /** the ids the model reads for `text` (source ids, or the whole prompt of a decoder-only model) */
  inputIds(text: string): number[]
  /** `maxNewTokens` here overrides the per-piece default for this call */
  translateBatch(texts: readonly string[], opts?: { maxNewTokens?: number }): Promise<TranslationOut[]>
  close(): Promise<void>
}

export interface DecodeSettings extends BeamSettings {
  /** most new tokens per piece (default: 2 × source tokens + 16, within the model's limits) */
  maxNewTokens?: number
}

export interface OpenTranslatorOptions {
  from?: string
  to?: string
  device?: string
  threads?: number
  /** a PEFT LoRA adapter merged into a decoder-only model (Model.load's) */
  adapter?: string
  /** which ONNX file of a decoder-only folder (Model.load's) */
  dtype?: ModelDtype
  decode?: DecodeSettings
  /** chat models: the prompt template (default: the built-in 'translate') and its -p values */
  template?: PromptTemplate
  params?: Readonly<Record<string, string>>
}

/**
 * New-token limit of each piece: the flag, else twice its source tokens + 16 (a translation is
 * rarely longer; it ends a small model's runaway repetition), never past its `caps`. Per piece, so
 * a piece translates the same alone or in any batch.
 */
export function maxNewTokensFor(sources: readonly number[], caps: number | readonly number[], given?: number): number[] {
  return sources.map((n, i) => Math.max(0, Math.min(given ?? 2 * n + 16, typeof caps === 'number' ? caps : caps[i]!)))
}

/** Greedy or beam search (the best hypothesis per problem), as the settings say. */
export async function decodeBatch(model: StepModel, prefixes: readonly (readonly number[])[], search: SearchOptions, settings: DecodeSettings, gen: GenerationDefaults): Promise<Hypothesis[]> {
  const beam = resolveBeam(settings, gen)
  const s: SearchOptions = { ...search, minNewTokens: beam.minNewTokens || undefined, noRepeatNgramSize: beam.noRepeatNgramSize || undefined }
  if (beam.numBeams <= 1) return greedySearch(model, prefixes, s)
  const hyps = await beamSearch(model, prefixes, { ...s, numBeams: beam.numBeams, lengthPenalty: beam.lengthPenalty, earlyStopping: beam.earlyStopping, numReturnSequences: 1 })
  return hyps.map((h) => h[0] ?? { tokens: [], score: 0, finishReason: 'length' })
}
