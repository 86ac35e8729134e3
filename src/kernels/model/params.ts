/**
 * The parameters of a decoder: Hugging Face names and [out, in] shapes, in a fixed order (the
 * order of the safetensors files we write and of the training graph's inputs), and a seeded
 * initialisation for new models.
 *
 * Letters: C hidden, H query heads, KV key/value heads, D head size, F MLP width, V vocabulary.
 */
import { LlmError } from '../../core/errors.js'
import { normals } from '../../core/rng.js'
import type { ModelConfig } from './config.js'

export interface ParamSpec { name: string; shape: number[] }

/** Weight names of layer i's projections (the LoRA target module names are their last part). */
export function layerWeights(c: ModelConfig, i: number) {
  const L = `model.layers.${i}.`
  return {
    inputNorm: `${L}input_layernorm.weight`,
    postNorm: `${L}post_attention_layernorm.weight`,
    qkv: `${L}self_attn.qkv_proj`,
    q: `${L}self_attn.q_proj`,
    k: `${L}self_attn.k_proj`,
    v: `${L}self_attn.v_proj`,
    o: `${L}self_attn.o_proj`,
    gateUp: `${L}mlp.gate_up_proj`,
    gate: `${L}mlp.gate_proj`,
    up: `${L}mlp.up_proj`,
    down: `${L}mlp.down_proj`,
    fused: c.fused,
  }
}

export const EMBED = 'model.embed_tokens.weight'
export const FINAL_NORM = 'model.norm.weight'
export const LM_HEAD = 'lm_head.weight'

/** Every tensor the family reads from a checkpoint, in order; lm_head only when untied. */
export function paramSpecs(c: ModelConfig): ParamSpec[] {
  const C = c.hiddenSize, D = c.headDim, F = c.intermediateSize
  const qRows = c.numHeads * D, kvRows = c.numKvHeads * D
  const specs: ParamSpec[] = [{ name: EMBED, shape: [c.vocabSize, C] }]
  const lin = (module: string, out: number, inp: number, bias: boolean) => {
    specs.push({ name: `${module}.weight`, shape: [out, inp] })
    if (bias) specs.push({ name: `${module}.bias`, shape: [out] })
  }
  for (let i = 0; i < c.numLayers; i++) {
    const w = layerWeights(c, i)
    specs.push({ name: w.inputNorm, shape: [C] })
    if (c.fused) lin(w.qkv, qRows + 2 * kvRows, C, c.qkvBias)
    else {
      lin(w.q, qRows, C, c.qkvBias)
      lin(w.k, kvRows, C, c.qkvBias)
      lin(w.v, kvRows, C, c.qkvBias)
    }
    lin(w.o, C, qRows, c.oBias)
    specs.push({ name: w.postNorm, shape: [C] })
    if (c.fused) lin(w.gateUp, 2 * F, C, c.mlpBias)
    else {
      lin(w.gate, F, C, c.mlpBias)
      lin(w.up, F, C, c.mlpBias)
    }
    lin(w.down, C, F, c.mlpBias)
  }
  specs.push({ name: FINAL_NORM, shape: [C] })
  if (!c.tieWordEmbeddings) specs.push({ name: LM_HEAD, shape: [c.vocabSize, C] })
  return specs
}

/**
 * A new model's weights, deterministic per seed: normal(0, 0.02) matrices and embeddings (GPT-2 /
 * transformers `initializer_range`), zero biases, norm weights that make the norm the identity
 * (1, or 0 where the family scales by 1 + w).
 */
export function initParams(c: ModelConfig, seed: number): Map<string, Float32Array> {
  const rand = normals(seed)
  const out = new Map<string, Float32Array>()
  for (const s of paramSpecs(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    if (s.name.endsWith('norm.weight')) data.fill(c.normOffset === 1 ? 0 : 1)
    else if (s.shape.length === 2) for (let i = 0; i < n; i++) data[i] = 0.02 * rand()
    out.set(s.name, data)
  }
  return out
}

/** Throw unless `shapes` holds exactly the family's tensors with the config's shapes. */
export function checkShapes(c: ModelConfig, shapes: Map<string, readonly number[]>, where: string): void {
  const specs = paramSpecs(c)
  for (const s of specs) {
    const got = shapes.get(s.name)
    if (!got) throw new LlmError(`tensor '${s.name}' is missing`, { where, hint: `a ${c.family} checkpoint with this config.json has it` })
    if (got.join(',') !== s.shape.join(',')) throw new LlmError(`tensor '${s.name}' has shape [${got.join(',')}], config.json implies [${s.shape.join(',')}]`, { where })
  }
  const known = new Set(specs.map((s) => s.name))
  // transformers ignores buffers some exporters save; anything else would be silently dropped
  const extra = [...shapes.keys()].filter((k) => !known.has(k) && !k.endsWith('rotary_emb.inv_freq') && !(c.tieWordEmbeddings && k === LM_HEAD))
  if (extra.length) {
    throw new LlmError(`tensor '${extra[0]}' has no place in a ${c.family} model with this config.json${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`, { where, hint: 'a bias or layer the config does not declare would be dropped; check config.json' })
  }
}
