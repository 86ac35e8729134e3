/**
 * Emit a BERT encoder (transformers' BertModel, modeling_bert.py) as an ONNX graph in the
 * transformers.js feature-extraction layout:
 *
 *   inputs   input_ids, attention_mask, token_type_ids [batch_size, sequence_length] int64
 *   output   last_hidden_state [batch_size, sequence_length, hidden_size] float32
 *
 * BertEmbeddings: LayerNorm(word[ids] + token_type[tt] + position[0..S-1]); then per layer
 * (post-norm): h = LayerNorm(h + attn(h)), h = LayerNorm(h + W2·gelu(W1·h + b1) + b2).
 * Attention adds (1 − mask) · finfo(float32).min to the scores of padded keys, as BertModel's
 * extended attention mask does. Weights keep their Hugging Face names (with or without the
 * `bert.` prefix that BertFor* checkpoints carry) and [out, in] shapes.
 *
 * Letters: B batch, S tokens, N = B·S rows, C hidden, H heads, D = C / H, F intermediate width.
 */
import { LlmError } from '../../core/errors.js'
import { tensorToFloat32 } from '../../core/safetensors.js'
import { Graph } from '../onnx/graph.js'
import type { WeightSource } from '../model/infer.js'
import { activate, layerNorm, linear } from '../model/layers.js'

export interface BertConfig {
  vocabSize: number
  hiddenSize: number
  numLayers: number
  numHeads: number
  intermediateSize: number
  maxPositionEmbeddings: number
  typeVocabSize: number
  layerNormEps: number
}

type Json = Record<string, unknown>

function int(json: Json, key: string, where: string, fallback?: number): number {
  const v = json[key] ?? fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new LlmError(`config.json: '${key}' must be a positive integer, got ${JSON.stringify(json[key])}`, { where })
  }
  return v
}

/** Parse a transformers BertConfig (model_type bert); variants the graph does not implement are refused by name. */
export function bertConfigFromHf(json: Json, where = 'config.json'): BertConfig {
  if (json.model_type !== undefined && json.model_type !== 'bert') {
    throw new LlmError(`model_type '${String(json.model_type)}' is not supported by the BERT emitter`, { where })
  }
  const act = json.hidden_act ?? 'gelu'
  if (act !== 'gelu') throw new LlmError(`hidden_act '${String(act)}' is not supported, only 'gelu' (erf)`, { where })
  const pos = json.position_embedding_type ?? 'absolute'
  if (pos !== 'absolute') throw new LlmError(`position_embedding_type '${String(pos)}' is not supported, only 'absolute'`, { where })
  const hiddenSize = int(json, 'hidden_size', where)
  const numHeads = int(json, 'num_attention_heads', where)
  if (hiddenSize % numHeads !== 0) throw new LlmError(`hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`, { where })
  const eps = json.layer_norm_eps ?? 1e-12
  if (typeof eps !== 'number' || !(eps > 0)) throw new LlmError(`'layer_norm_eps' must be a positive number`, { where })
  return {
    vocabSize: int(json, 'vocab_size', where),
    hiddenSize,
    numLayers: int(json, 'num_hidden_layers', where),
    numHeads,
    intermediateSize: int(json, 'intermediate_size', where),
    maxPositionEmbeddings: int(json, 'max_position_embeddings', where, 512),
    typeVocabSize: int(json, 'type_vocab_size', where, 2),
    layerNormEps: eps,
  }
}

/** HF parameter names (without prefix) and shapes the encoder reads, in a stable order. */
export function bertWeightShapes(c: BertConfig): [string, number[]][] {
  const C = c.hiddenSize, F = c.intermediateSize
  const out: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [c.vocabSize, C]],
    ['embeddings.position_embeddings.weight', [c.maxPositionEmbeddings, C]],
    ['embeddings.token_type_embeddings.weight', [c.typeVocabSize, C]],
    ['embeddings.LayerNorm.weight', [C]],
    ['embeddings.LayerNorm.bias', [C]],
  ]
  for (let i = 0; i < c.numLayers; i++) {
    const L = `encoder.layer.${i}.`
    for (const p of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      out.push([`${L}${p}.weight`, [C, C]], [`${L}${p}.bias`, [C]])
    }
    out.push(
      [`${L}attention.output.LayerNorm.weight`, [C]], [`${L}attention.output.LayerNorm.bias`, [C]],
      [`${L}intermediate.dense.weight`, [F, C]], [`${L}intermediate.dense.bias`, [F]],
      [`${L}output.dense.weight`, [C, F]], [`${L}output.dense.bias`, [C]],
      [`${L}output.LayerNorm.weight`, [C]], [`${L}output.LayerNorm.bias`, [C]],
    )
  }
  return out
}

/** '' or 'bert.': the prefix under which this checkpoint stores the BertModel weights. */
function weightPrefix(weights: WeightSource): string {
  if (weights.get('embeddings.word_embeddings.weight')) return ''
  if (weights.get('bert.embeddings.word_embeddings.weight')) return 'bert.'
  throw new LlmError("weight 'embeddings.word_embeddings.weight' is missing", { hint: 'expected Hugging Face BertModel parameter names' })
}

function addWeights(g: Graph, c: BertConfig, weights: WeightSource, where: string): void {
  const prefix = weightPrefix(weights)
  for (const [name, shape] of bertWeightShapes(c)) {
    const t = weights.get(prefix + name)
    if (!t) throw new LlmError(`weight '${prefix + name}' is missing`, { where, hint: 'expected Hugging Face BertModel parameter names' })
    if (t.shape.join(',') !== shape.join(',')) {
      throw new LlmError(`weight '${prefix + name}' has shape [${t.shape.join(',')}], config.json implies [${shape.join(',')}]`, { where })
    }
    g.initializer(name, 'float32', shape, tensorToFloat32(t, prefix + name))
  }
}

export function emitBertEncoder(c: BertConfig, weights: WeightSource, opts: { opset?: number; where?: string } = {}): Graph {
  const g = new Graph({ name: 'bert_encoder', opset: opts.opset ?? 17 })
  const { hiddenSize: C, numHeads: H } = c
  const D = C / H
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length'])
  const tokenTypeIds = g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length'])
  addWeights(g, c, weights, opts.where ?? 'weights')

  const bs = g.op('Shape', [inputIds]) // [B, S]
  const S = g.op('Shape', [inputIds], { start: 1, end: 2 })
  const shapeOf = (...tail: number[]) => g.op('Concat', [bs, g.const('int64', [tail.length], tail)], { axis: 0 })
  // BertEmbeddings: positions 0..S-1 (absolute), [S, C] broadcast over the batch
  const positions = g.op('Range', [g.const('int64', [], [0]), g.op('Squeeze', [S, g.const('int64', [1], [0])]), g.const('int64', [], [1])])
  const words = g.op('Gather', ['embeddings.word_embeddings.weight', inputIds], { axis: 0 }) // [B, S, C]
  const types = g.op('Gather', ['embeddings.token_type_embeddings.weight', tokenTypeIds], { axis: 0 })
  const pos = g.op('Gather', ['embeddings.position_embeddings.weight', positions], { axis: 0 }) // [S, C]
  const emb = layerNorm(g, g.op('Add', [g.op('Add', [words, types]), pos]), 'embeddings.LayerNorm.weight', 'embeddings.LayerNorm.bias', c.layerNormEps)
  let h = g.op('Reshape', [emb, g.const('int64', [2], [-1, C])]) // [N, C]

  // extended attention mask: 0 for real keys, finfo(float32).min for padding, [B, 1, 1, S]
  const keep = g.op('Cast', [g.op('Unsqueeze', [attentionMask, g.const('int64', [2], [1, 2])])], { to: 1 })
  const maskBias = g.op('Mul', [g.op('Sub', [g.const('float32', [], [1]), keep]), g.const('float32', [], [-3.4028234663852886e38])])
  const scale = g.const('float32', [], [1 / Math.sqrt(D)])
  for (let i = 0; i < c.numLayers; i++) {
    const L = `encoder.layer.${i}.`
    const proj = (p: string) => linear(g, h, `${L}${p}.weight`, `${L}${p}.bias`)
    const heads = (x: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, shapeOf(H, D)])], { perm })
    const q = heads(proj('attention.self.query'), [0, 2, 1, 3]) // [B, H, S, D]
    const kT = heads(proj('attention.self.key'), [0, 2, 3, 1]) // [B, H, D, S]
    const v = heads(proj('attention.self.value'), [0, 2, 1, 3]) // [B, H, S, D]
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), scale]), maskBias]) // [B, H, S, S]
    const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]) // [B, H, S, D]
    const rows = g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.const('int64', [2], [-1, C])]) // [N, C]
    const attn = linear(g, rows, `${L}attention.output.dense.weight`, `${L}attention.output.dense.bias`)
    h = layerNorm(g, g.op('Add', [attn, h]), `${L}attention.output.LayerNorm.weight`, `${L}attention.output.LayerNorm.bias`, c.layerNormEps)
    const mid = activate(g, linear(g, h, `${L}intermediate.dense.weight`, `${L}intermediate.dense.bias`), 'gelu') // [N, F]
    const ffn = linear(g, mid, `${L}output.dense.weight`, `${L}output.dense.bias`)
    h = layerNorm(g, g.op('Add', [ffn, h]), `${L}output.LayerNorm.weight`, `${L}output.LayerNorm.bias`, c.layerNormEps)
  }
  g.op('Reshape', [h, shapeOf(C)], {}, { name: 'last_hidden_state' })
  g.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', C])
  return g
}
