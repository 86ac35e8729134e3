/**
 * The one `config.json` reader of the project: a Hugging Face decoder config (transformers'
 * LlamaConfig, MistralConfig, Qwen2Config, Phi3Config, GemmaConfig field names and defaults) →
 * `ModelConfig`, the description both emitters (inference graph, training graph) read.
 *
 * Whatever a family sets that we cannot honour is refused by name — an unknown `rope_scaling`
 * kind, an activation we lack, `longrope` — instead of being dropped: a model that loads computes
 * what transformers computes. What differs between the families is data here (which biases,
 * fused projections, norm offset, embedding scale, activation), not code in the forward.
 */
import { LlmError } from '../../core/errors.js'
import { ropeFromHf, type Rope } from './rope.js'

export const FAMILIES = ['llama', 'mistral', 'qwen2', 'phi3', 'gemma'] as const
export type Family = (typeof FAMILIES)[number]
export type Activation = 'silu' | 'gelu_tanh'

export type LayerActivation = 'silu' | 'gelu_tanh' | 'gelu' | 'relu'

/** a config's activation name (transformers' ACT2FN keys) → the layer, or undefined if we lack it */
export function hfActivation(name: string): LayerActivation | undefined {
  switch (name) {
    case 'silu': case 'swish': return 'silu'
    case 'gelu_pytorch_tanh': case 'gelu_new': case 'gelu_fast': return 'gelu_tanh'
    case 'gelu': return 'gelu'
    case 'relu': return 'relu'
    default: return undefined
  }
}

export interface ModelConfig {
  family: Family
  vocabSize: number
  hiddenSize: number
  intermediateSize: number
  numLayers: number
  numHeads: number
  numKvHeads: number
  /** hiddenSize / numHeads unless config.json says `head_dim` (Gemma: 256 with hidden 2048) */
  headDim: number
  rmsNormEps: number
  /** RMSNorm scales by (offset + w): 0, or 1 for Gemma's `(1 + w)` */
  normOffset: 0 | 1
  activation: Activation
  rope: Rope
  /** q/k/v projections have biases (Qwen2; Llama `attention_bias`) */
  qkvBias: boolean
  /** o_proj has a bias (Llama/Gemma `attention_bias`) */
  oBias: boolean
  /** gate/up/down have biases (Llama `mlp_bias`) */
  mlpBias: boolean
  /** Phi-3's `qkv_proj` and `gate_up_proj` */
  fused: boolean
  /** token embeddings × this (Gemma: √hidden, rounded as transformers rounds it) */
  embedScale: number
  tieWordEmbeddings: boolean
  /** longest sequence (prompt + generated) the model is run on */
  maxPositionEmbeddings: number
  /** per layer: attention window in tokens (key j visible from i when i − j < window), 0 = full */
  slidingWindows: number[]
  bosTokenId?: number
  eosTokenId?: number | number[]
}

type Json = Record<string, unknown>

interface FamilyDefaults {
  architecture: string
  rmsNormEps: number
  maxPositionEmbeddings: number
  tie: boolean
}

/** transformers' defaults per config class (configuration_<family>.py) */
const DEFAULTS: Record<Family, FamilyDefaults> = {
  llama: { architecture: 'LlamaForCausalLM', rmsNormEps: 1e-6, maxPositionEmbeddings: 2048, tie: false },
  mistral: { architecture: 'MistralForCausalLM', rmsNormEps: 1e-6, maxPositionEmbeddings: 4096 * 32, tie: false },
  qwen2: { architecture: 'Qwen2ForCausalLM', rmsNormEps: 1e-6, maxPositionEmbeddings: 32768, tie: false },
  phi3: { architecture: 'Phi3ForCausalLM', rmsNormEps: 1e-5, maxPositionEmbeddings: 4096, tie: false },
  gemma: { architecture: 'GemmaForCausalLM', rmsNormEps: 1e-6, maxPositionEmbeddings: 8192, tie: true },
}

/** Reads fields of one config.json, naming the field in every error. */
export class ConfigFields {
  constructor(readonly json: Json, readonly where: string) {}

  fail(key: string, what: string, hint?: string): never {
    throw new LlmError(`'${key}' ${what}`, { where: this.where, hint })
  }

  int(key: string, fallback?: number): number {
    const v = this.json[key] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(key, `must be a positive integer, got ${JSON.stringify(this.json[key])}`)
    return v
  }

  num(key: string, fallback?: number): number {
    const v = this.json[key] ?? fallback
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(key, `must be a positive number, got ${JSON.stringify(this.json[key])}`)
    return v
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key] ?? fallback
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`)
    return v
  }

  /** refuse a field unless it has one of the values we implement */
  only(key: string, allowed: readonly unknown[], hint: string): void {
    const v = this.json[key]
    if (v !== undefined && v !== null && !allowed.includes(v)) this.fail(key, `${JSON.stringify(v)} is not supported`, hint)
  }
}

function activation(f: ConfigFields, family: Family): Activation {
  // Gemma reads `hidden_activation` and, when it is null, uses gelu_pytorch_tanh whatever
  // `hidden_act` says (modeling_gemma.py GemmaMLP, transformers PR 29402).
  const key = family === 'gemma' ? 'hidden_activation' : 'hidden_act'
  const raw = f.json[key] ?? (family === 'gemma' ? 'gelu_pytorch_tanh' : 'silu')
  // the decoder families' gated MLPs train with silu and gelu_tanh (kernels/ops/mlp.ts)
  const act = typeof raw === 'string' ? hfActivation(raw) : undefined
  if (act === 'silu' || act === 'gelu_tanh') return act
  return f.fail(key, `${JSON.stringify(raw)} is not supported`, 'implemented: silu, gelu_pytorch_tanh (gelu_new)')
}

/** Per-layer windows: Mistral's `sliding_window` for every layer; Qwen2's only with `use_sliding_window`. */
function slidingWindows(f: ConfigFields, family: Family, layers: number): number[] {
  const full = new Array<number>(layers).fill(0)
  const sw = f.json.sliding_window
  if (sw === undefined || sw === null) return full
  if (family !== 'mistral' && family !== 'qwen2') return full // phi3/gemma(1)/llama do not use it
  const w = f.int('sliding_window')
  if (family === 'mistral') return full.fill(w)
  if (f.json.use_sliding_window !== true) return full
  const types = f.json.layer_types
  if (Array.isArray(types)) return types.map((t) => (t === 'sliding_attention' ? w : 0))
  // modeling_qwen2 (pre layer_types): layers at or past max_window_layers slide
  const from = f.int('max_window_layers', 28)
  return full.map((_, i) => (i >= from ? w : 0))
}

/** Parse a transformers decoder config. Unsupported variants are refused by field name. */
export function readModelConfig(json: Json, where = 'config.json'): ModelConfig {
  const f = new ConfigFields(json, where)
  const type = json.model_type ?? 'llama'
  if (!(FAMILIES as readonly unknown[]).includes(type)) {
    f.fail('model_type', `${JSON.stringify(type)} is not a supported family`, `supported: ${FAMILIES.join(', ')}`)
  }
  const family = type as Family
  const d = DEFAULTS[family]
  const hiddenSize = f.int('hidden_size')
  const numHeads = f.int('num_attention_heads')
  const numKvHeads = f.int('num_key_value_heads', numHeads)
  const headDim = f.int('head_dim', Math.floor(hiddenSize / numHeads))
  const numLayers = f.int('num_hidden_layers')
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `${numKvHeads} does not divide num_attention_heads ${numHeads}`)
  if (json.head_dim === undefined && hiddenSize % numHeads !== 0) f.fail('hidden_size', `${hiddenSize} is not divisible by num_attention_heads ${numHeads}`, 'give head_dim explicitly')
  const maxPositionEmbeddings = f.int('max_position_embeddings', d.maxPositionEmbeddings)

  let qkvBias = false, oBias = false, mlpBias = false
  if (family === 'llama' || family === 'gemma') {
    qkvBias = oBias = f.bool('attention_bias', false)
    if (family === 'llama') mlpBias = f.bool('mlp_bias', false)
    else f.only('mlp_bias', [false], 'Gemma has no MLP biases')
  } else if (family === 'qwen2') {
    qkvBias = true // modeling_qwen2: q/k/v Linear(bias=True), o_proj bias=False
  } else {
    f.only('attention_bias', [false], `${family} has no attention biases`)
  }
  if (family === 'gemma') f.only('attn_logit_softcapping', [null], 'logit soft-capping is Gemma 2 (not supported)')
  const embedScale = family === 'gemma' ? Math.fround(Math.sqrt(hiddenSize)) : 1
  const eos = json.eos_token_id
  return {
    family,
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    intermediateSize: f.int('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: f.num('rms_norm_eps', d.rmsNormEps),
    normOffset: family === 'gemma' ? 1 : 0,
    activation: activation(f, family),
    rope: ropeFromHf(f, family, headDim, maxPositionEmbeddings),
    qkvBias, oBias, mlpBias,
    fused: family === 'phi3',
    embedScale,
    tieWordEmbeddings: f.bool('tie_word_embeddings', d.tie),
    maxPositionEmbeddings,
    slidingWindows: slidingWindows(f, family, numLayers),
    bosTokenId: typeof json.bos_token_id === 'number' ? json.bos_token_id : undefined,
    eosTokenId: typeof eos === 'number' || (Array.isArray(eos) && eos.every((e) => typeof e === 'number')) ? (eos as number | number[]) : undefined,
  }
}

/** The options a new model is built from (`llm pretrain` without --init). */
export type NewLlama = Pick<ModelConfig, 'vocabSize' | 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'maxPositionEmbeddings' | 'tieWordEmbeddings'>
  & { ropeTheta?: number; rmsNormEps?: number; bosTokenId?: number; eosTokenId?: number }

/** A transformers LlamaConfig for a new model: what `llm pretrain` writes, read back by readModelConfig. */
export function newLlamaConfigJson(c: NewLlama): Json {
  return {
    architectures: [DEFAULTS.llama.architecture],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.hiddenSize / c.numHeads,
    hidden_act: 'silu',
    max_position_embeddings: c.maxPositionEmbeddings,
    rms_norm_eps: c.rmsNormEps ?? 1e-5,
    rope_theta: c.ropeTheta ?? 10000,
    rope_scaling: null,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: c.tieWordEmbeddings,
    ...(c.bosTokenId === undefined ? {} : { bos_token_id: c.bosTokenId }),
    ...(c.eosTokenId === undefined ? {} : { eos_token_id: c.eosTokenId }),
    torch_dtype: 'float32',
    use_cache: true,
  }
}

/** `architectures[0]` for a family (written when a folder has none). */
export function architectureOf(family: Family): string {
  return DEFAULTS[family].architecture
}
