/**
 * T5ForConditionalGeneration (transformers/models/t5/modeling_t5.py) as ONNX graphs: pre-norm
 * blocks with T5LayerNorm (RMS, no mean, no bias), attention without biases and without the
 * 1/√D scale, the bucketed relative position bias of each stack's first layer shared by all its
 * layers (encoder bidirectional, decoder causal; none in cross-attention), DenseReluDense (relu)
 * or the gated variant (feed_forward_proj "gated-gelu" = gelu_new), a final norm per stack, and
 * with tied embeddings the decoder output scaled by d_model^-0.5 before lm_head (mesh-tensorflow).
 */
import { Graph } from '../onnx/graph.js'
import { decoderIO, encoderInputs, encoderOutput, type DecoderMode, type KV } from './io.js'
import { activation, attend, causalVisible, keyPaddingVisible, linear, mergeHeads, rmsNorm, splitHeads, t5PositionBias } from './layers.js'
import { configNumber, WeightTable, type WeightSource } from './weights.js'

export interface T5Config {
  vocabSize: number
  dModel: number
  dKv: number
  dFf: number
  numLayers: number
  numDecoderLayers: number
  numHeads: number
  numBuckets: number
  maxDistance: number
  eps: number
  /** activation of the feed-forward block; gated = wo(act(wi_0 x) · wi_1 x) */
  act: string
  gated: boolean
  tieWordEmbeddings: boolean
}

type Json = Record<string, unknown>

/** T5Config.__init__: feed_forward_proj "relu" | "gated-gelu" | "gated-ACT" | "ACT". */
export function t5ConfigFromHf(c: Json, where = 'config.json'): T5Config {
  const n = (names: string[], d?: number): number => configNumber(c, where, names, d)
  const proj = typeof c.feed_forward_proj === 'string' ? c.feed_forward_proj : 'relu'
  const parts = proj.split('-')
  const gated = parts[0] === 'gated' && parts.length === 2
  const act = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1]!
  const numLayers = n(['num_layers'])
  return {
    vocabSize: n(['vocab_size']),
    dModel: n(['d_model']),
    dKv: n(['d_kv']),
    dFf: n(['d_ff']),
    numLayers,
    numDecoderLayers: n(['num_decoder_layers'], numLayers),
    numHeads: n(['num_heads']),
    numBuckets: n(['relative_attention_num_buckets'], 32),
    maxDistance: n(['relative_attention_max_distance'], 128),
    eps: n(['layer_norm_epsilon'], 1e-6),
    act,
    gated,
    tieWordEmbeddings: c.tie_word_embeddings !== false,
  }
}

function ff(g: Graph, w: WeightTable, c: T5Config, prefix: string, x: string): string {
  const C = c.dModel, F = c.dFf
  const P = `${prefix}.DenseReluDense`
  const h = c.gated
    ? g.op('Mul', [activation(g, linear(g, x, w.add(g, [F, C], `${P}.wi_0.weight`)), c.act), linear(g, x, w.add(g, [F, C], `${P}.wi_1.weight`))])
    : activation(g, linear(g, x, w.add(g, [F, C], `${P}.wi.weight`)), c.act)
  return linear(g, h, w.add(g, [C, F], `${P}.wo.weight`))
}

function proj(g: Graph, w: WeightTable, c: T5Config, prefix: string, name: 'q' | 'k' | 'v' | 'o', x: string): string {
  const inner = c.numHeads * c.dKv
  return linear(g, x, w.add(g, name === 'o' ? [c.dModel, inner] : [inner, c.dModel], `${prefix}.${name}.weight`))
}

const norm = (g: Graph, w: WeightTable, c: T5Config, name: string, x: string): string => rmsNorm(g, x, w.add(g, [c.dModel], name), c.eps)

const embedding = (g: Graph, w: WeightTable, c: T5Config, side: 'encoder' | 'decoder'): string =>
  w.add(g, [c.vocabSize, c.dModel], 'shared.weight', `${side}.embed_tokens.weight`)

export function emitT5Encoder(c: T5Config, weights: WeightSource, where = 'weights'): Graph {
  const g = new Graph({ name: 't5_encoder', opset: 17 })
  const w = new WeightTable(weights, where)
  const { numHeads: H, dKv: D } = c
  const io = encoderInputs(g)
  let h = g.op('Reshape', [g.op('Gather', [embedding(g, w, c, 'encoder'), io.inputIds], { axis: 0 }), g.const('int64', [2], [-1, c.dModel])])
  const qPos = g.op('Range', [g.const('int64', [], [0]), g.op('Squeeze', [io.S, g.const('int64', [1], [0])]), g.const('int64', [], [1])])
  const bias = t5PositionBias(g, w.add(g, [c.numBuckets, H], 'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), qPos, io.S,
    { bidirectional: true, numBuckets: c.numBuckets, maxDistance: c.maxDistance })
  const visible = keyPaddingVisible(g, io.mask)
  const heads = (x: string) => splitHeads(g, x, io.bs, H, D)
  for (let i = 0; i < c.numLayers; i++) {
    const B = `encoder.block.${i}.layer`
    const n = norm(g, w, c, `${B}.0.layer_norm.weight`, h)
    const A = `${B}.0.SelfAttention`
    const o = attend(g, heads(proj(g, w, c, A, 'q', n)), heads(proj(g, w, c, A, 'k', n)), heads(proj(g, w, c, A, 'v', n)), { bias, visible })
    h = g.op('Add', [h, proj(g, w, c, A, 'o', mergeHeads(g, o, H, D))])
    h = g.op('Add', [h, ff(g, w, c, `${B}.1`, norm(g, w, c, `${B}.1.layer_norm.weight`, h))])
  }
  encoderOutput(g, norm(g, w, c, 'encoder.final_layer_norm.weight', h), io.bs, c.dModel)
  return g
}

export function emitT5Decoder(c: T5Config, weights: WeightSource, mode: DecoderMode, where = 'weights'): Graph {
  const g = new Graph({ name: `t5_decoder_${mode}`, opset: 17 })
  const w = new WeightTable(weights, where)
  const { numHeads: H, dKv: D } = c
  const crossKv = (sub: Graph, encRows: string, bsEnc: string): KV[] =>
    Array.from({ length: c.numDecoderLayers }, (_, i) => {
      const A = `decoder.block.${i}.layer.1.EncDecAttention`
      return { k: splitHeads(sub, proj(sub, w, c, A, 'k', encRows), bsEnc, H, D), v: splitHeads(sub, proj(sub, w, c, A, 'v', encRows), bsEnc, H, D) }
    })
  const io = decoderIO(g, mode, { layers: c.numDecoderLayers, heads: H, headDim: D, vocab: c.vocabSize }, crossKv)
  let h = g.op('Reshape', [g.op('Gather', [embedding(g, w, c, 'decoder'), io.inputIds], { axis: 0 }), g.const('int64', [2], [-1, c.dModel])])
  const T = g.op('Add', [io.P, io.S])
  const scalar = (v: string) => g.op('Squeeze', [v, g.const('int64', [1], [0])])
  const qPos = g.op('Range', [scalar(io.P), scalar(T), g.const('int64', [], [1])])
  const bias = t5PositionBias(g, w.add(g, [c.numBuckets, H], 'decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), qPos, T,
    { bidirectional: false, numBuckets: c.numBuckets, maxDistance: c.maxDistance })
  const causal = causalVisible(g, io.P, io.S)
  const encVisible = keyPaddingVisible(g, io.encMask)
  const heads = (x: string) => splitHeads(g, x, io.bs, H, D)
  for (let i = 0; i < c.numDecoderLayers; i++) {
    const B = `decoder.block.${i}.layer`
    const n = norm(g, w, c, `${B}.0.layer_norm.weight`, h)
    const A = `${B}.0.SelfAttention`
    const kv = io.selfKv(i, heads(proj(g, w, c, A, 'k', n)), heads(proj(g, w, c, A, 'v', n)))
    const o = attend(g, heads(proj(g, w, c, A, 'q', n)), kv.k, kv.v, { bias, visible: causal })
    h = g.op('Add', [h, proj(g, w, c, A, 'o', mergeHeads(g, o, H, D))])
    const X = `${B}.1.EncDecAttention`
    const n2 = norm(g, w, c, `${B}.1.layer_norm.weight`, h)
    const co = attend(g, heads(proj(g, w, c, X, 'q', n2)), io.cross[i]!.k, io.cross[i]!.v, { visible: encVisible })
    h = g.op('Add', [h, proj(g, w, c, X, 'o', mergeHeads(g, co, H, D))])
    h = g.op('Add', [h, ff(g, w, c, `${B}.2`, norm(g, w, c, `${B}.2.layer_norm.weight`, h))])
  }
  let out = norm(g, w, c, 'decoder.final_layer_norm.weight', h)
  if (c.tieWordEmbeddings) out = g.op('Mul', [out, g.const('float32', [], [c.dModel ** -0.5])])
  const head = c.tieWordEmbeddings ? w.add(g, [c.vocabSize, c.dModel], 'lm_head.weight', 'shared.weight', 'decoder.embed_tokens.weight') : w.add(g, [c.vocabSize, c.dModel], 'lm_head.weight')
  io.finish(linear(g, out, head))
  return g
}

/** Every stored weight's Hugging Face name and shape (a tied lm_head omitted). */
export function t5WeightShapes(c: T5Config): [string, number[]][] {
  const C = c.dModel, I = c.numHeads * c.dKv, F = c.dFf
  const out: [string, number[]][] = [['shared.weight', [c.vocabSize, C]]]
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [c.vocabSize, C]])
  const attn = (p: string): void => { for (const n of ['q', 'k', 'v']) out.push([`${p}.${n}.weight`, [I, C]]); out.push([`${p}.o.weight`, [C, I]]) }
  const ff = (p: string): void => {
    if (c.gated) out.push([`${p}.DenseReluDense.wi_0.weight`, [F, C]], [`${p}.DenseReluDense.wi_1.weight`, [F, C]])
    else out.push([`${p}.DenseReluDense.wi.weight`, [F, C]])
    out.push([`${p}.DenseReluDense.wo.weight`, [C, F]], [`${p}.layer_norm.weight`, [C]])
  }
  for (const side of ['encoder', 'decoder'] as const) {
    const n = side === 'encoder' ? c.numLayers : c.numDecoderLayers
    out.push([`${side}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, [c.numBuckets, c.numHeads]], [`${side}.final_layer_norm.weight`, [C]])
    for (let i = 0; i < n; i++) {
      const B = `${side}.block.${i}.layer`
      attn(`${B}.0.SelfAttention`); out.push([`${B}.0.layer_norm.weight`, [C]])
      if (side === 'decoder') { attn(`${B}.1.EncDecAttention`); out.push([`${B}.1.layer_norm.weight`, [C]]); ff(`${B}.2`) } else ff(`${B}.1`)
    }
  }
  return out
}
