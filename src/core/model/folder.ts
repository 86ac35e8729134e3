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
import { LlmError, fileError } from '../errors.js'
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
}

type Json = Record<string, unknown>

export function readJson(file: string): Json {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw fileError(file, err)
  }
  try {
    const v = JSON.parse(text) as unknown
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object')
    return v as Json
  } catch (err) {
    throw new LlmError(`not valid JSON: ${(err as Error).message}`, { where: file })
  }
}

const readOptional = (file: string): Json | undefined => (existsSync(file) ? readJson(file) : undefined)
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
  if (genai) {
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
    },
    chatTemplate,
    bosToken: tokenText(tokConfig.bos_token),
    eosToken: tokenText(tokConfig.eos_token),
    tokenizerPath,
  }
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
