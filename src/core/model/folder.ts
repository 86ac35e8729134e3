/**
 * Read a model folder in the Hugging Face layout (no ONNX session, no tokenizer yet):
 *   config.json              architecture (vocab_size, max_position_embeddings, heads, eos)
 *   generation_config.json   eos_token_id (a number or an array), sampling defaults
 *   tokenizer.json           (loaded later by src/tokenizer/load.ts)
 *   tokenizer_config.json    chat_template, bos_token / eos_token strings
 *   chat_template.jinja      newer transformers keep the template here instead
 * and one of two ONNX layouts:
 *   Optimum / transformers.js: onnx/model.onnx or onnx/decoder_model_merged.onnx
 *   onnxruntime-genai: genai_config.json naming the decoder file and its input/output names.
 * A Hugging Face folder with safetensors and no ONNX graph is read too (`source: 'weights'`):
 * the graph is then built in memory when the model is loaded.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../errors.js'
import { readJsonObject, type JsonObject } from '../json.js'

import type { DecoderNameHints } from '../runtime/decoder.js'

const WEIGHTS_FILE = 'model.safetensors'
const WEIGHTS_INDEX = 'model.safetensors.index.json'

export interface GenerationDefaults {
  doSample?: boolean
  temperature?: number
  topK?: number
  topP?: number
  minP?: number
  repetitionPenalty?: number
  maxNewTokens?: number
  // beam search and seq2seq fields (generation_config.json, else config.json, as transformers'
  // GenerationConfig.from_model_config when the folder has no generation_config.json)
  numBeams?: number
  lengthPenalty?: number
  earlyStopping?: boolean | 'never'
  noRepeatNgramSize?: number
  numReturnSequences?: number
  minNewTokens?: number
  minLength?: number
  maxLength?: number
  decoderStartTokenId?: number
  forcedBosTokenId?: number
  forcedEosTokenId?: number | number[]
  badWordsIds?: number[][]
  padTokenId?: number
}

/** Encoder-decoder ONNX files (Optimum / transformers.js layout), when the folder has an encoder. */
export interface Seq2SeqOnnxFiles {
  encoder: string
  merged?: string
  first?: string
  withPast?: string
}

export interface ModelFolder {
  dir: string
  layout: 'optimum' | 'genai'
  /** 'weights': no ONNX graph, only config.json + safetensors (onnxFile names the weights then) */
  source: 'onnx' | 'weights'
  onnxFile: string
  /** genai_config.json names (genai layout only) */
  hints?: DecoderNameHints
  modelType?: string
  /** from config.json / genai_config.json, to fill dims a graph leaves symbolic */
  numKvHeads?: number
  headDim?: number
  /** logits width the config promises (checked against the graph and the tokenizer) */
  vocabSize?: number
  /** longest sequence the model was built for (prompt + generated) */
  contextLength?: number
  /** eos ids from generation_config.json, else config.json (Optimum layout only: genai configs are not trusted) */
  eosTokenIds?: number[]
  bosTokenId?: number
  generation: GenerationDefaults
  chatTemplate?: string
  /** special-token strings from tokenizer_config.json (for the chat template and EOS) */
  bosToken?: string
  eosToken?: string
  tokenizerPath: string
  /** config.json is_encoder_decoder, or an onnx/encoder_model.onnx beside the decoder */
  seq2seq?: Seq2SeqOnnxFiles
  /** config.json as read (model-specific fields: task_specific_params, languages, …) */
  config?: Json
}

type Json = JsonObject

const readOptional = (file: string): Json | undefined => (existsSync(file) ? readJsonObject(file) : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const ids = (v: unknown): number[] | undefined =>
  typeof v === 'number' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined
/** tokenizer_config.json spells special tokens as a string or as {content: string} */
const tokenText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as Json).content === 'string' ? ((v as Json).content as string) : undefined

/** in order of preference: fp32 first, then the variants transformers.js repositories also ship */
export const OPTIMUM_CANDIDATES = ['onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'model.onnx', 'decoder_model_merged.onnx', 'onnx/model_fp16.onnx', 'onnx/decoder_model_merged_fp16.onnx', 'onnx/model_quantized.onnx', 'onnx/model_int8.onnx', 'onnx/model_q4.onnx']

/** transformers.js' `dtype` names and the file suffix each selects (model.onnx → model_q4.onnx) */
export const MODEL_DTYPES = { fp32: '', fp16: '_fp16', int8: '_int8', q4: '_q4' } as const
export type ModelDtype = keyof typeof MODEL_DTYPES

function dtypeCandidates(dtype: ModelDtype): string[] {
  const suffix = MODEL_DTYPES[dtype]
  return ['onnx/model', 'onnx/decoder_model_merged', 'model', 'decoder_model_merged'].map((b) => `${b}${suffix}.onnx`)
}

export function readModelFolder(dir: string, opts: { dtype?: ModelDtype } = {}): ModelFolder {
  if (!existsSync(dir)) throw new LlmError('no such model folder', { where: dir })
  const config = readOptional(join(dir, 'config.json')) ?? {}
  const genConfig = readOptional(join(dir, 'generation_config.json'))
  const tokConfig = readOptional(join(dir, 'tokenizer_config.json')) ?? {}
  const genai = readOptional(join(dir, 'genai_config.json'))

  let layout: ModelFolder['layout']
  let source: ModelFolder['source'] = 'onnx'
  let onnxFile: string
  let hints: DecoderNameHints | undefined
  let gm: Json = {}
  const seq2seq = findSeq2Seq(dir)
  if (seq2seq) {
    layout = 'optimum'
    onnxFile = seq2seq.merged ?? seq2seq.first!
  } else if (genai) {
    layout = 'genai'
    gm = (genai.model ?? {}) as Json
    const dec = (gm.decoder ?? {}) as Json
    if (typeof dec.filename !== 'string') throw new LlmError('genai_config.json has no model.decoder.filename', { where: join(dir, 'genai_config.json') })
    onnxFile = join(dir, dec.filename)
    hints = genaiHints(dec)
  } else {
    layout = 'optimum'
    const candidates = opts.dtype ? dtypeCandidates(opts.dtype) : OPTIMUM_CANDIDATES
    const found = candidates.find((f) => existsSync(join(dir, f)))
    if (!found && opts.dtype) {
      throw new LlmError(`no ${opts.dtype} ONNX model in this folder (looked for ${candidates[0]})`, {
        where: dir,
        hint: opts.dtype === 'int8' || opts.dtype === 'q4' ? `make one with 'llm quantize ${dir} --to ${opts.dtype} --out ${dir}'` : 'leave out --dtype to use the model the folder has',
      })
    }
    const weights = [WEIGHTS_FILE, WEIGHTS_INDEX].find((f) => existsSync(join(dir, f)))
    if (!found && !weights) {
      throw new LlmError('no ONNX model and no safetensors weights in this folder', {
        where: dir,
        hint: `expected ${OPTIMUM_CANDIDATES.slice(0, 2).join(' or ')}, or config.json + model.safetensors (convert a checkpoint with 'llm convert')`,
      })
    }
    onnxFile = join(dir, found ?? weights!)
    source = found ? 'onnx' : 'weights'
  }
  if (!existsSync(onnxFile)) throw new LlmError('the ONNX model file is missing', { where: onnxFile })

  const dec = (gm.decoder ?? {}) as Json
  const heads = num(config.num_attention_heads) ?? num(config.n_head) ?? num(dec.num_attention_heads)
  const hidden = num(config.hidden_size) ?? num(config.n_embd) ?? num(dec.hidden_size)
  const tokenizerPath = existsSync(join(dir, 'tokenizer.json')) ? join(dir, 'tokenizer.json') : dir

  let chatTemplate = pickTemplate(tokConfig.chat_template)
  const jinjaFile = join(dir, 'chat_template.jinja')
  if (chatTemplate === undefined && existsSync(jinjaFile)) chatTemplate = readFileSync(jinjaFile, 'utf8')

  const gen = genConfig ?? {}
  const genOrModel = genConfig ?? config
  const early = genOrModel.early_stopping
  const badWords = genOrModel.bad_words_ids
  return {
    dir,
    layout,
    source,
    onnxFile,
    hints,
    modelType: typeof config.model_type === 'string' ? config.model_type : typeof gm.type === 'string' ? gm.type : undefined,
    numKvHeads: num(config.num_key_value_heads) ?? num(dec.num_key_value_heads) ?? heads,
    headDim: num(config.head_dim) ?? num(dec.head_size) ?? (heads && hidden ? hidden / heads : undefined),
    vocabSize: num(config.vocab_size) ?? num(gm.vocab_size),
    contextLength: layout === 'genai'
      ? num(gm.context_length) ?? num(config.max_position_embeddings) ?? num(config.n_positions)
      : num(config.max_position_embeddings) ?? num(config.n_positions) ?? num(config.n_ctx),
    // genai configs carry ids that disagree with their own tokenizer (tiny-random-llama says EOS=1
    // where the tokenizer's </s> is 2): for that layout EOS comes from the tokenizer instead.
    eosTokenIds: ids(gen.eos_token_id) ?? (layout === 'optimum' ? ids(config.eos_token_id) : undefined),
    bosTokenId: num(gen.bos_token_id) ?? (layout === 'optimum' ? num(config.bos_token_id) : undefined),
    generation: {
      doSample: typeof gen.do_sample === 'boolean' ? gen.do_sample : undefined,
      temperature: num(gen.temperature),
      topK: num(gen.top_k),
      topP: num(gen.top_p),
      minP: num(gen.min_p),
      repetitionPenalty: num(gen.repetition_penalty),
      maxNewTokens: num(gen.max_new_tokens),
      numBeams: num(genOrModel.num_beams),
      lengthPenalty: num(genOrModel.length_penalty),
      earlyStopping: typeof early === 'boolean' || early === 'never' ? early : undefined,
      noRepeatNgramSize: num(genOrModel.no_repeat_ngram_size),
      numReturnSequences: num(genOrModel.num_return_sequences),
      minNewTokens: num(genOrModel.min_new_tokens),
      minLength: num(genOrModel.min_length),
      maxLength: num(genOrModel.max_length),
      decoderStartTokenId: num(gen.decoder_start_token_id) ?? num(config.decoder_start_token_id),
      forcedBosTokenId: num(genOrModel.forced_bos_token_id),
      forcedEosTokenId: ids(genOrModel.forced_eos_token_id),
      badWordsIds: Array.isArray(badWords) && badWords.every((w) => Array.isArray(w) && w.every((x) => typeof x === 'number')) ? (badWords as number[][]) : undefined,
      padTokenId: num(gen.pad_token_id) ?? num(config.pad_token_id),
    },
    chatTemplate,
    bosToken: tokenText(tokConfig.bos_token),
    eosToken: tokenText(tokConfig.eos_token),
    tokenizerPath,
    seq2seq,
    config,
  }
}

/** onnx/encoder_model.onnx (or at the root) with decoder_model_merged.onnx or decoder_model.onnx (+ _with_past). */
function findSeq2Seq(dir: string): Seq2SeqOnnxFiles | undefined {
  for (const sub of ['onnx', '']) {
    const at = (f: string): string | undefined => (existsSync(join(dir, sub, f)) ? join(dir, sub, f) : undefined)
    const encoder = at('encoder_model.onnx')
    if (!encoder) continue
    const merged = at('decoder_model_merged.onnx')
    const first = at('decoder_model.onnx')
    if (!merged && !first) {
      throw new LlmError('an encoder_model.onnx without a decoder', { where: join(dir, sub), hint: 'expected decoder_model_merged.onnx, or decoder_model.onnx + decoder_with_past_model.onnx, beside it' })
    }
    return { encoder, merged, first, withPast: at('decoder_with_past_model.onnx') }
  }
  return undefined
}

/** chat_template is a string, or a list of {name, template} where 'default' is the one to use. */
function pickTemplate(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (Array.isArray(v)) {
    const named = v as { name?: string; template?: string }[]
    return (named.find((t) => t.name === 'default') ?? named[0])?.template
  }
  return undefined
}

/** genai_config.json decoder.inputs/outputs → name templates (`%d` = layer). */
function genaiHints(dec: Json): DecoderNameHints {
  const i = (dec.inputs ?? {}) as Record<string, string>
  const o = (dec.outputs ?? {}) as Record<string, string>
  return {
    inputIds: i.input_ids,
    attentionMask: i.attention_mask,
    positionIds: i.position_ids,
    logits: o.logits,
    pastKey: i.past_key_names,
    pastValue: i.past_value_names,
    presentKey: o.present_key_names,
    presentValue: o.present_value_names,
    past: i.past_names,
    present: o.present_names,
  }
}
