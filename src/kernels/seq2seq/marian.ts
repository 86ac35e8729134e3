/**
 * MarianMTModel (transformers/models/marian/modeling_marian.py) as ONNX graphs: post-LayerNorm
 * encoder and decoder layers (BartEncoderLayer / BartDecoderLayer), attention with biases and
 * q·kᵀ scaled by D^-0.5, token embeddings × √d_model (scale_embedding), non-interleaved
 * sinusoidal positions (sin half, then cos half), lm_head tied to the shared embedding plus
 * final_logits_bias. Weights keep their Hugging Face names ("model.encoder.layers.0.fc1.weight").
 */
import { Graph } from '../onnx/graph.js'
import { decoderIO, encoderInputs, encoderOutput, type DecoderMode, type KV } from './io.js'
import {
  activation, attend, causalVisible, keyPaddingVisible, layerNorm, linear, linearBias, marianSinusoidalTable,
  mergeHeads, positionRows, splitHeads,
} from './layers.js'
import { configNumber, WeightTable, type WeightSource } from './weights.js'

export interface MarianConfig {
  vocabSize: number
  decoderVocabSize: number
  dModel: number
  encoderLayers: number
  decoderLayers: number
  encoderHeads: number
  decoderHeads: number
  encoderFfn: number
  decoderFfn: number
  activation: string
  maxPositions: number
  scaleEmbedding: boolean
  shareEmbeddings: boolean
}

type Json = Record<string, unknown>

export function marianConfigFromHf(c: Json, where = 'config.json'): MarianConfig {
  const n = (names: string[], d?: number): number => configNumber(c, where, names, d)
  const vocabSize = n(['vocab_size'])
  return {
    vocabSize,
    decoderVocabSize: n(['decoder_vocab_size'], vocabSize),
    dModel: n(['d_model']),
    encoderLayers: n(['encoder_layers']),
    decoderLayers: n(['decoder_layers']),
    encoderHeads: n(['encoder_attention_heads']),
    decoderHeads: n(['decoder_attention_heads']),
    encoderFfn: n(['encoder_ffn_dim']),
    decoderFfn: n(['decoder_ffn_dim']),
    activation: typeof c.activation_function === 'string' ? c.activation_function : 'swish',
    maxPositions: n(['max_position_embeddings'], 512),
    scaleEmbedding: c.scale_embedding !== false,
    shareEmbeddings: c.share_encoder_decoder_embeddings !== false,
  }
}

const LN_EPS = 1e-5 // nn.LayerNorm's default; Marian does not configure it

function attentionBlock(g: Graph, w: WeightTable, prefix: string, C: number): { q: (x: string) => string; k: (x: string) => string; v: (x: string) => string; out: (x: string) => string } {
  const lin = (name: string) => (x: string) => linearBias(g, x, w.add(g, [C, C], `${prefix}.${name}.weight`), w.add(g, [C], `${prefix}.${name}.bias`))
  return { q: lin('q_proj'), k: lin('k_proj'), v: lin('v_proj'), out: lin('out_proj') }
}

function ln(g: Graph, w: WeightTable, prefix: string, x: string, C: number): string {
  return layerNorm(g, x, w.add(g, [C], `${prefix}.weight`), w.add(g, [C], `${prefix}.bias`), LN_EPS)
}

function ffn(g: Graph, w: WeightTable, prefix: string, x: string, C: number, F: number, act: string): string {
  const h = activation(g, linearBias(g, x, w.add(g, [F, C], `${prefix}.fc1.weight`), w.add(g, [F], `${prefix}.fc1.bias`)), act)
  return linearBias(g, h, w.add(g, [C, F], `${prefix}.fc2.weight`), w.add(g, [C], `${prefix}.fc2.bias`))
}

/** token embeddings × scale + positions [P, P+S), as rows [B·S, C] */
function embed(g: Graph, w: WeightTable, c: MarianConfig, side: 'encoder' | 'decoder', ids: string, P: string, S: string): string {
  const C = c.dModel
  const V = side === 'decoder' && !c.shareEmbeddings ? c.decoderVocabSize : c.vocabSize
  const table = side === 'decoder' && !c.shareEmbeddings
    ? w.add(g, [V, C], 'model.decoder.embed_tokens.weight')
    : w.add(g, [V, C], 'model.shared.weight', `model.${side}.embed_tokens.weight`)
  let tok = g.op('Gather', [table, ids], { axis: 0 }) // [B, S, C]
  if (c.scaleEmbedding) tok = g.op('Mul', [tok, g.const('float32', [], [Math.sqrt(C)])])
  const posName = `model.${side}.embed_positions.weight`
  const positions = w.has(posName)
    ? w.add(g, [c.maxPositions, C], posName)
    : w.addComputed(g, posName, [c.maxPositions, C], () => marianSinusoidalTable(c.maxPositions, C))
  const h = g.op('Add', [tok, positionRows(g, positions, P, S)])
  return g.op('Reshape', [h, g.const('int64', [2], [-1, C])])
}

export function emitMarianEncoder(c: MarianConfig, weights: WeightSource, where = 'weights'): Graph {
  const g = new Graph({ name: 'marian_encoder', opset: 17 })
  const w = new WeightTable(weights, where)
  const C = c.dModel, H = c.encoderHeads, D = C / H
  const io = encoderInputs(g)
  let h = embed(g, w, c, 'encoder', io.inputIds, g.const('int64', [1], [0]), io.S)
  const visible = keyPaddingVisible(g, io.mask)
  for (let i = 0; i < c.encoderLayers; i++) {
    const L = `model.encoder.layers.${i}`
    const a = attentionBlock(g, w, `${L}.self_attn`, C)
    const heads = (x: string) => splitHeads(g, x, io.bs, H, D)
    const o = attend(g, heads(a.q(h)), heads(a.k(h)), heads(a.v(h)), { scale: D ** -0.5, visible })
    h = ln(g, w, `${L}.self_attn_layer_norm`, g.op('Add', [h, a.out(mergeHeads(g, o, H, D))]), C)
    h = ln(g, w, `${L}.final_layer_norm`, g.op('Add', [h, ffn(g, w, L, h, C, c.encoderFfn, c.activation)]), C)
  }
  encoderOutput(g, h, io.bs, C)
  return g
}

export function emitMarianDecoder(c: MarianConfig, weights: WeightSource, mode: DecoderMode, where = 'weights'): Graph {
  const g = new Graph({ name: `marian_decoder_${mode}`, opset: 17 })
  const w = new WeightTable(weights, where)
  const C = c.dModel, H = c.decoderHeads, D = C / H
  const V = c.shareEmbeddings ? c.vocabSize : c.decoderVocabSize
  const crossKv = (sub: Graph, encRows: string, bsEnc: string): KV[] =>
    Array.from({ length: c.decoderLayers }, (_, i) => {
      const a = attentionBlock(sub, w, `model.decoder.layers.${i}.encoder_attn`, C)
      return { k: splitHeads(sub, a.k(encRows), bsEnc, H, D), v: splitHeads(sub, a.v(encRows), bsEnc, H, D) }
    })
  const io = decoderIO(g, mode, { layers: c.decoderLayers, heads: H, headDim: D, vocab: V }, crossKv)
  let h = embed(g, w, c, 'decoder', io.inputIds, io.P, io.S)
  const causal = causalVisible(g, io.P, io.S)
  const encVisible = keyPaddingVisible(g, io.encMask)
  const heads = (x: string) => splitHeads(g, x, io.bs, H, D)
  for (let i = 0; i < c.decoderLayers; i++) {
    const L = `model.decoder.layers.${i}`
    const sa = attentionBlock(g, w, `${L}.self_attn`, C)
    const kv = io.selfKv(i, heads(sa.k(h)), heads(sa.v(h)))
    const o = attend(g, heads(sa.q(h)), kv.k, kv.v, { scale: D ** -0.5, visible: causal })
    h = ln(g, w, `${L}.self_attn_layer_norm`, g.op('Add', [h, sa.out(mergeHeads(g, o, H, D))]), C)
    const ca = attentionBlock(g, w, `${L}.encoder_attn`, C)
    const co = attend(g, heads(ca.q(h)), io.cross[i]!.k, io.cross[i]!.v, { scale: D ** -0.5, visible: encVisible })
    h = ln(g, w, `${L}.encoder_attn_layer_norm`, g.op('Add', [h, ca.out(mergeHeads(g, co, H, D))]), C)
    h = ln(g, w, `${L}.final_layer_norm`, g.op('Add', [h, ffn(g, w, L, h, C, c.decoderFfn, c.activation)]), C)
  }
  const head = w.add(g, [V, C], 'lm_head.weight', ...(c.shareEmbeddings ? ['model.shared.weight', 'model.decoder.embed_tokens.weight'] : ['model.decoder.embed_tokens.weight']))
  let logits = linear(g, h, head)
  if (w.has('final_logits_bias')) logits = g.op('Add', [logits, g.op('Reshape', [w.add(g, [1, V], 'final_logits_bias'), g.const('int64', [1], [V])])])
  io.finish(logits)
  return g
}

/** Every stored weight's Hugging Face name and shape (tied lm_head and computed positions omitted). */
export function marianWeightShapes(c: MarianConfig): [string, number[]][] {
  const C = c.dModel
  const out: [string, number[]][] = [['model.shared.weight', [c.vocabSize, C]], ['final_logits_bias', [1, c.shareEmbeddings ? c.vocabSize : c.decoderVocabSize]]]
  if (!c.shareEmbeddings) out.push(['model.decoder.embed_tokens.weight', [c.decoderVocabSize, C]])
  const attn = (p: string): void => {
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) out.push([`${p}.${n}.weight`, [C, C]], [`${p}.${n}.bias`, [C]])
  }
  const ln = (p: string): void => { out.push([`${p}.weight`, [C]], [`${p}.bias`, [C]]) }
  const ffn = (p: string, F: number): void => { out.push([`${p}.fc1.weight`, [F, C]], [`${p}.fc1.bias`, [F]], [`${p}.fc2.weight`, [C, F]], [`${p}.fc2.bias`, [C]]) }
  for (let i = 0; i < c.encoderLayers; i++) {
    const L = `model.encoder.layers.${i}`
    attn(`${L}.self_attn`); ln(`${L}.self_attn_layer_norm`); ffn(L, c.encoderFfn); ln(`${L}.final_layer_norm`)
  }
  for (let i = 0; i < c.decoderLayers; i++) {
    const L = `model.decoder.layers.${i}`
    attn(`${L}.self_attn`); ln(`${L}.self_attn_layer_norm`); attn(`${L}.encoder_attn`); ln(`${L}.encoder_attn_layer_norm`)
    ffn(L, c.decoderFfn); ln(`${L}.final_layer_norm`)
  }
  return out
}
