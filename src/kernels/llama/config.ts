/**
 * The Llama hyper-parameters the graph emitter needs, read from (and written to) a Hugging Face
 * `config.json` (transformers' LlamaConfig field names and defaults).
 */
import { LlmError } from '../../core/errors.js'

export interface LlamaConfig {
  vocabSize: number
  hiddenSize: number
  intermediateSize: number
  numLayers: number
  numHeads: number
  numKvHeads: number
  /** hiddenSize / numHeads unless config.json says `head_dim` */
  headDim: number
  rmsNormEps: number
  ropeTheta: number
  tieWordEmbeddings: boolean
  maxPositionEmbeddings: number
  bosTokenId?: number
  eosTokenId?: number | number[]
}

type Json = Record<string, unknown>

function int(json: Json, key: string, where: string, fallback?: number): number {
  const v = json[key] ?? fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new LlmError(`config.json: '${key}' must be a positive integer, got ${JSON.stringify(json[key])}`, { where })
  }
  return v
}

/** Parse a transformers LlamaConfig (`model_type: llama`). Unsupported variants are refused by name. */
export function llamaConfigFromHf(json: Json, where = 'config.json'): LlamaConfig {
  if (json.model_type !== undefined && json.model_type !== 'llama') {
    throw new LlmError(`model_type '${String(json.model_type)}' is not supported, only 'llama'`, { where })
  }
  const rs = json.rope_scaling as Json | null | undefined
  if (rs && (rs.rope_type ?? rs.type) !== 'default') {
    throw new LlmError(`rope_scaling ${JSON.stringify(rs)} is not supported`, { where, hint: 'only plain RoPE (rope_scaling null) is implemented' })
  }
  for (const k of ['attention_bias', 'mlp_bias']) {
    if (json[k] === true) throw new LlmError(`'${k}: true' is not supported (Llama without biases only)`, { where })
  }
  const act = json.hidden_act ?? 'silu'
  if (act !== 'silu') throw new LlmError(`hidden_act '${String(act)}' is not supported, only 'silu'`, { where })
  const hiddenSize = int(json, 'hidden_size', where)
  const numHeads = int(json, 'num_attention_heads', where)
  const numKvHeads = int(json, 'num_key_value_heads', where, numHeads)
  const headDim = int(json, 'head_dim', where, Math.floor(hiddenSize / numHeads))
  if (numHeads % numKvHeads !== 0) throw new LlmError(`num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`, { where })
  if (headDim % 2 !== 0) throw new LlmError(`head size ${headDim} must be even for RoPE`, { where })
  const eps = json.rms_norm_eps ?? 1e-6
  const theta = json.rope_theta ?? 10000
  if (typeof eps !== 'number' || !(eps > 0)) throw new LlmError(`'rms_norm_eps' must be a positive number`, { where })
  if (typeof theta !== 'number' || !(theta > 0)) throw new LlmError(`'rope_theta' must be a positive number`, { where })
  const eos = json.eos_token_id
  return {
    vocabSize: int(json, 'vocab_size', where),
    hiddenSize,
    intermediateSize: int(json, 'intermediate_size', where),
    numLayers: int(json, 'num_hidden_layers', where),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: eps,
    ropeTheta: theta,
    tieWordEmbeddings: json.tie_word_embeddings === true,
    maxPositionEmbeddings: int(json, 'max_position_embeddings', where, 2048),
    bosTokenId: typeof json.bos_token_id === 'number' ? json.bos_token_id : undefined,
    eosTokenId: typeof eos === 'number' || Array.isArray(eos) ? (eos as number | number[]) : undefined,
  }
}

/** A transformers-compatible `config.json` object for this configuration. */
export function llamaConfigToHf(c: LlamaConfig, extra: Json = {}): Json {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.maxPositionEmbeddings,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: c.tieWordEmbeddings,
    ...(c.bosTokenId === undefined ? {} : { bos_token_id: c.bosTokenId }),
    ...(c.eosTokenId === undefined ? {} : { eos_token_id: c.eosTokenId }),
    torch_dtype: 'float32',
    use_cache: true,
    ...extra,
  }
}

/** HF parameter names and [out, in] shapes the decoder reads, in a stable order. */
export function llamaWeightShapes(c: LlamaConfig): [string, number[]][] {
  const C = c.hiddenSize, D = c.headDim
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, C]]]
  for (let i = 0; i < c.numLayers; i++) {
    const L = `model.layers.${i}.`
    out.push(
      [`${L}input_layernorm.weight`, [C]],
      [`${L}self_attn.q_proj.weight`, [c.numHeads * D, C]],
      [`${L}self_attn.k_proj.weight`, [c.numKvHeads * D, C]],
      [`${L}self_attn.v_proj.weight`, [c.numKvHeads * D, C]],
      [`${L}self_attn.o_proj.weight`, [C, c.numHeads * D]],
      [`${L}post_attention_layernorm.weight`, [C]],
      [`${L}mlp.gate_proj.weight`, [c.intermediateSize, C]],
      [`${L}mlp.up_proj.weight`, [c.intermediateSize, C]],
      [`${L}mlp.down_proj.weight`, [C, c.intermediateSize]],
    )
  }
  out.push(['model.norm.weight', [C]])
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [c.vocabSize, C]])
  return out
}
