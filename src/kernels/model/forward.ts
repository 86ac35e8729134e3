/**
 * THE model definition: one decoder forward for every family (llama, mistral, qwen2, phi3, gemma),
 * written once against `Ops`, which two emitters implement — `infer.ts` (the inference graph:
 * dynamic batch, KV cache, Optimum / transformers.js layout) and `train.ts` (the training graph:
 * static shapes, backward rules). nanoGPT's single model.py read by both train.py and sample.py.
 *
 * Per layer, as transformers' modeling_<family>.py:
 *   a = norm(h);  q, k, v = proj(a)  (one fused qkv_proj for Phi-3, biases where the config says)
 *   h = h + o_proj(attention(rope(q), rope(k), v))
 *   m = norm(h);  h = h + down_proj(act(gate_proj(m)) · up_proj(m))   (fused gate_up_proj: Phi-3)
 * then logits = lm_head(norm(h)) (lm_head = the embedding when tied). Each residual add is paired
 * with the norm that follows it (`addNorm`) and the projections of one input are asked for
 * together (`linears`), so the inference emitter can run each pair as one node.
 *
 * Activations are rows [N, width] (N tokens); the emitter owns batch/time layout, RoPE tables,
 * masks and the cache inside `attention`.
 */
import type { Activation, ModelConfig } from './config.js'
import { EMBED, FINAL_NORM, LM_HEAD, layerWeights } from './params.js'

export interface Ops<V> {
  /** token embeddings [N, C] of the input ids, times `scale` */
  embed(weight: string, scale: number): V
  /** x [N, in] @ W[out, in]ᵀ (+ b): `module` names the HF module (`….q_proj`; weight = module + '.weight') */
  linear(x: V, module: string, bias: boolean): V
  /**
   * the projections of one input, [x @ W_mᵀ (+ b_m) for m in modules]; `fused` names the module
   * they form together (Phi-3's spelling: qkv_proj, gate_up_proj) should the emitter fuse them
   */
  linears(x: V, modules: string[], bias: boolean, fused: string): V[]
  /** RMSNorm over the last axis, scaled by (offset + w) */
  rmsNorm(x: V, weight: string, eps: number, offset: 0 | 1): V
  /** [h + delta, rmsNorm(h + delta)]: a residual add and the norm after it */
  addNorm(h: V, delta: V, weight: string, eps: number, offset: 0 | 1): [V, V]
  /** act(gate) · up, elementwise */
  gatedAct(gate: V, up: V, act: Activation): V
  /** split the last axis into pieces of these widths */
  split(x: V, widths: number[]): V[]
  /** causal self-attention of layer i (RoPE, window, cache inside): q [N, H·D], k/v [N, KV·D] → [N, H·D] */
  attention(layer: number, q: V, k: V, v: V): V
  /** x [N, C] @ W[V, C]ᵀ for the output head (a weight name, not a module: it may be the embedding) */
  head(x: V, weight: string): V
}

export interface ForwardResult<V> {
  /** final-norm output [N, C] */
  hidden: V
  /** [N, vocab] */
  logits: V
}

export function decoderForward<V>(c: ModelConfig, ops: Ops<V>): ForwardResult<V> {
  const qRows = c.numHeads * c.headDim
  const kvRows = c.numKvHeads * c.headDim
  const norm = (x: V, w: string) => ops.rmsNorm(x, w, c.rmsNormEps, c.normOffset)
  const addNorm = (x: V, delta: V, w: string) => ops.addNorm(x, delta, w, c.rmsNormEps, c.normOffset)
  let h = ops.embed(EMBED, c.embedScale)
  let a = norm(h, layerWeights(c, 0).inputNorm)
  for (let i = 0; i < c.numLayers; i++) {
    const w = layerWeights(c, i)
    const [q, k, v] = c.fused
      ? ops.split(ops.linear(a, w.qkv, c.qkvBias), [qRows, kvRows, kvRows])
      : ops.linears(a, [w.q, w.k, w.v], c.qkvBias, w.qkv)
    let m: V
    ;[h, m] = addNorm(h, ops.linear(ops.attention(i, q, k, v), w.o, c.oBias), w.postNorm)
    const [gate, up] = c.fused
      ? ops.split(ops.linear(m, w.gateUp, c.mlpBias), [c.intermediateSize, c.intermediateSize])
      : ops.linears(m, [w.gate, w.up], c.mlpBias, w.gateUp)
    const next = i + 1 < c.numLayers ? layerWeights(c, i + 1).inputNorm : FINAL_NORM
    ;[h, a] = addNorm(h, ops.linear(ops.gatedAct(gate, up, c.activation), w.down, c.mlpBias), next)
  }
  const hidden = a
  return { hidden, logits: ops.head(hidden, c.tieWordEmbeddings ? EMBED : LM_HEAD) }
}
