/**
 * The Llama architecture on the op tape: configuration, parameter specs (Hugging Face names and
 * shapes), seeded initialisation, and the forward pass from token ids to mean cross-entropy.
 *
 * Letters: B batch, T time, M = B·T tokens, C hidden size, NH/NKV query/key-value heads,
 * D = C/NH head size, H intermediate size, V vocabulary. Activations are [M, C] between blocks.
 * Architecture as in shared/tools/torch_reference.py and transformers' modeling_llama:
 *   h = embed(ids); per layer: h += o_proj(attn(rope(q), rope(k), v)) of rmsnorm(h);
 *   h += down(silu(gate(x)) · up(x)) of rmsnorm(h); logits = lm_head(rmsnorm(h)).
 */
import { LlmError } from '../../core/errors.js'
import type { Tape, Value } from '../autodiff/tape.js'
import { causalAttention, causalMask } from '../ops/attention.js'
import { crossEntropy } from '../ops/cross-entropy.js'
import { embedding } from '../ops/embedding.js'
import { linear } from '../ops/linear.js'
import { siluGate } from '../ops/mlp.js'
import { rmsNorm } from '../ops/rmsnorm.js'
import { rope, ropeTables } from '../ops/rope.js'
import { add, reshape, transpose } from '../ops/shape.js'
import { normal } from './random.js'

/** Hugging Face LlamaConfig fields, camelCased. */
export interface LlamaConfig {
  vocabSize: number
  hiddenSize: number
  intermediateSize: number
  numHiddenLayers: number
  numAttentionHeads: number
  numKeyValueHeads: number
  ropeTheta: number
  rmsNormEps: number
  tieWordEmbeddings: boolean
  maxPositionEmbeddings: number
}

export interface ParamSpec { name: string; shape: number[] }

export function checkConfig(cfg: LlamaConfig): void {
  const bad = (what: string): never => { throw new LlmError(`invalid Llama config: ${what}`, { hint: 'check config.json' }) }
  for (const k of ['vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads', 'numKeyValueHeads'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) bad(`${k} must be a positive integer, got ${cfg[k]}`)
  }
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) bad(`hiddenSize ${cfg.hiddenSize} is not divisible by numAttentionHeads ${cfg.numAttentionHeads}`)
  if (cfg.numAttentionHeads % cfg.numKeyValueHeads !== 0) bad(`numAttentionHeads ${cfg.numAttentionHeads} is not a multiple of numKeyValueHeads ${cfg.numKeyValueHeads}`)
  if ((cfg.hiddenSize / cfg.numAttentionHeads) % 2 !== 0) bad(`head size ${cfg.hiddenSize / cfg.numAttentionHeads} must be even for RoPE`)
}

/** Hugging Face names and shapes, in a fixed order; lm_head.weight only when untied. */
export function llamaParamSpecs(cfg: LlamaConfig): ParamSpec[] {
  checkConfig(cfg)
  const C = cfg.hiddenSize
  const D = C / cfg.numAttentionHeads
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [cfg.vocabSize, C] }]
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const L = `model.layers.${i}.`
    specs.push(
      { name: `${L}input_layernorm.weight`, shape: [C] },
      { name: `${L}self_attn.q_proj.weight`, shape: [cfg.numAttentionHeads * D, C] },
      { name: `${L}self_attn.k_proj.weight`, shape: [cfg.numKeyValueHeads * D, C] },
      { name: `${L}self_attn.v_proj.weight`, shape: [cfg.numKeyValueHeads * D, C] },
      { name: `${L}self_attn.o_proj.weight`, shape: [C, cfg.numAttentionHeads * D] },
      { name: `${L}post_attention_layernorm.weight`, shape: [C] },
      { name: `${L}mlp.gate_proj.weight`, shape: [cfg.intermediateSize, C] },
      { name: `${L}mlp.up_proj.weight`, shape: [cfg.intermediateSize, C] },
      { name: `${L}mlp.down_proj.weight`, shape: [C, cfg.intermediateSize] },
    )
  }
  specs.push({ name: 'model.norm.weight', shape: [C] })
  if (!cfg.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [cfg.vocabSize, C] })
  return specs
}

/** normal(0, 0.02) for matrices and embeddings, ones for norm weights; deterministic per seed. */
export function initLlamaParams(cfg: LlamaConfig, seed: number): Map<string, Float32Array> {
  const rand = normal(seed)
  const out = new Map<string, Float32Array>()
  for (const s of llamaParamSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    if (s.shape.length === 1) data.fill(1)
    else for (let i = 0; i < n; i++) data[i] = 0.02 * rand()
    out.set(s.name, data)
  }
  return out
}

/**
 * Emit the forward pass. `params` maps Hugging Face names to values (watched leaves when
 * training); `ids` and `targets` are int64 [M] graph values. Returns the scalar mean loss.
 *
 * (Fusing q/k/v and gate/up into one Gemm each was measured slower here: the activation
 * Split/Concat it needs cost more than the larger Gemm saves at these sizes.)
 */
export function llamaLoss(t: Tape, cfg: LlamaConfig, params: Map<string, Value>, ids: string, targets: string, B: number, T: number): Value {
  const param = (name: string): Value => {
    const v = params.get(name)
    if (!v) throw new LlmError(`no parameter ${name}`)
    return v
  }
  if (T > cfg.maxPositionEmbeddings) {
    throw new LlmError(`sequence length ${T} exceeds max_position_embeddings ${cfg.maxPositionEmbeddings}`, { hint: 'use a shorter --seq-len' })
  }
  const M = B * T
  const C = cfg.hiddenSize
  const NH = cfg.numAttentionHeads
  const NKV = cfg.numKeyValueHeads
  const D = C / NH
  const tables = ropeTables(t, T, D, cfg.ropeTheta)
  const mask = causalMask(t, T)
  // [M, heads·D] → [B, heads, T, D]
  const heads = (x: Value, n: number): Value => transpose(t, reshape(t, x, [B, T, n, D]), [0, 2, 1, 3])

  let h = embedding(t, param('model.embed_tokens.weight'), ids, M)
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const L = `model.layers.${i}.`
    const a = rmsNorm(t, h, param(`${L}input_layernorm.weight`), cfg.rmsNormEps)
    const q = rope(t, heads(linear(t, a, param(`${L}self_attn.q_proj.weight`)), NH), tables)
    const k = rope(t, heads(linear(t, a, param(`${L}self_attn.k_proj.weight`)), NKV), tables)
    const v = heads(linear(t, a, param(`${L}self_attn.v_proj.weight`)), NKV)
    const o = reshape(t, transpose(t, causalAttention(t, q, k, v, mask), [0, 2, 1, 3]), [M, NH * D])
    h = add(t, h, linear(t, o, param(`${L}self_attn.o_proj.weight`)))
    const m = rmsNorm(t, h, param(`${L}post_attention_layernorm.weight`), cfg.rmsNormEps)
    const gated = siluGate(t, linear(t, m, param(`${L}mlp.gate_proj.weight`)), linear(t, m, param(`${L}mlp.up_proj.weight`)))
    h = add(t, h, linear(t, gated, param(`${L}mlp.down_proj.weight`)))
  }
  const final = rmsNorm(t, h, param('model.norm.weight'), cfg.rmsNormEps)
  const head = param(cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight')
  return crossEntropy(t, linear(t, final, head), targets)
}
