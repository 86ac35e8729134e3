/**
 * Emit a Llama decoder with KV cache as an ONNX graph in the Optimum / transformers.js layout:
 *
 *   inputs   input_ids [batch_size, sequence_length] int64
 *            attention_mask [batch_size, total_sequence_length] int64
 *            position_ids [batch_size, sequence_length] int64
 *            past_key_values.{i}.key|value [batch_size, KV, past_sequence_length, D] float32
 *   outputs  logits [batch_size, sequence_length, V] float32
 *            present.{i}.key|value [batch_size, KV, total_sequence_length, D] float32
 *
 * transformers.js builds its first (empty) cache from the input metadata, so the past dims must be
 * named `batch_size` / `past_sequence_length` and heads / head size kept numeric.
 * Weights are initializers under their Hugging Face names and [out, in] shapes.
 */
import { LlmError } from '../../core/errors.js'
import { tensorToFloat32, type SafeTensor } from '../../core/safetensors.js'
import { Graph } from '../onnx/graph.js'
import { llamaWeightShapes, type LlamaConfig } from './config.js'
import { linear, rmsNorm, ropeTables, selfAttention, swiglu, visibleKeys } from './layers.js'

/** Anything with `get(name)`: a Map of safetensors tensors, or a lazy loader. */
export interface WeightSource { get(name: string): SafeTensor | undefined }

export interface EmitOptions {
  /** default 17 */
  opset?: number
  /** where the weights came from, for error messages */
  where?: string
}

/** Names of the cache inputs/outputs of layer i. */
export const pastName = (i: number, kind: 'key' | 'value') => `past_key_values.${i}.${kind}`
export const presentName = (i: number, kind: 'key' | 'value') => `present.${i}.${kind}`

/** Check every weight's presence and shape against the config, and add them as float32 initializers. */
function addWeights(g: Graph, c: LlamaConfig, weights: WeightSource, where: string): void {
  for (const [name, shape] of llamaWeightShapes(c)) {
    const t = weights.get(name)
    if (!t) throw new LlmError(`weight '${name}' is missing`, { where, hint: 'expected Hugging Face Llama parameter names' })
    if (t.shape.join(',') !== shape.join(',')) {
      throw new LlmError(`weight '${name}' has shape [${t.shape.join(',')}], config.json implies [${shape.join(',')}]`, { where })
    }
    g.initializer(name, 'float32', shape, tensorToFloat32(t, name))
  }
}

export function emitLlamaDecoder(c: LlamaConfig, weights: WeightSource, opts: EmitOptions = {}): Graph {
  const g = new Graph({ name: 'llama_decoder', opset: opts.opset ?? 17 })
  const { numKvHeads: KV, headDim: D, numHeads: H } = c
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length'])
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length'])
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) g.input(pastName(i, kind), 'float32', ['batch_size', KV, 'past_sequence_length', D])
  }
  addWeights(g, c, weights, opts.where ?? 'weights')

  const dims = { bs: g.op('Shape', [inputIds]) }
  const rope = ropeTables(g, positionIds, D, c.ropeTheta)
  const visible = visibleKeys(g, attentionMask, inputIds)
  let h = g.op('Gather', ['model.embed_tokens.weight', g.op('Reshape', [inputIds, g.const('int64', [1], [-1])])], { axis: 0 }) // [N, C]
  for (let i = 0; i < c.numLayers; i++) {
    const L = `model.layers.${i}.`
    const a = rmsNorm(g, h, `${L}input_layernorm.weight`, c.rmsNormEps)
    const attn = selfAttention(g, a, dims,
      { q: `${L}self_attn.q_proj.weight`, k: `${L}self_attn.k_proj.weight`, v: `${L}self_attn.v_proj.weight`, o: `${L}self_attn.o_proj.weight` },
      { H, KV, D }, rope, visible,
      { key: pastName(i, 'key'), value: pastName(i, 'value') },
      { key: presentName(i, 'key'), value: presentName(i, 'value') })
    h = g.op('Add', [h, attn])
    const m = rmsNorm(g, h, `${L}post_attention_layernorm.weight`, c.rmsNormEps)
    h = g.op('Add', [h, swiglu(g, m, `${L}mlp.gate_proj.weight`, `${L}mlp.up_proj.weight`, `${L}mlp.down_proj.weight`)])
  }
  const normed = rmsNorm(g, h, 'model.norm.weight', c.rmsNormEps)
  const head = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'
  const logitsShape = g.op('Concat', [dims.bs, g.const('int64', [1], [c.vocabSize])], { axis: 0 })
  g.op('Reshape', [linear(g, normed, head), logitsShape], {}, { name: 'logits' })
  g.output('logits', 'float32', ['batch_size', 'sequence_length', c.vocabSize])
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) g.output(presentName(i, kind), 'float32', ['batch_size', KV, 'total_sequence_length', D])
  }
  return g
}
