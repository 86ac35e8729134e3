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
 * then logits = lm_head(norm(h)) (lm_head = the embedding when tied).
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
  /** RMSNorm over the last axis, scaled by (offset + w) */
  rmsNorm(x: V, weight: string, eps: number, offset: 0 | 1): V
  /** act(gate) · up, elementwise */
  gatedAct(gate: V, up: V, act: Activation): V
  add(a: V, b: V): V
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
  let h = ops.embed(EMBED, c.embedScale)
  for (let i = 0; i < c.numLayers; i++) {
    const w = layerWeights(c, i)
    const a = norm(h, w.inputNorm)
    const [q, k, v] = c.fused
      ? ops.split(ops.linear(a, w.qkv, c.qkvBias), [qRows, kvRows, kvRows])
      : [ops.linear(a, w.q, c.qkvBias), ops.linear(a, w.k, c.qkvBias), ops.linear(a, w.v, c.qkvBias)]
    h = ops.add(h, ops.linear(ops.attention(i, q, k, v), w.o, c.oBias))
    const m = norm(h, w.postNorm)
    const [gate, up] = c.fused
      ? ops.split(ops.linear(m, w.gateUp, c.mlpBias), [c.intermediateSize, c.intermediateSize])
      : [ops.linear(m, w.gate, c.mlpBias), ops.linear(m, w.up, c.mlpBias)]
    h = ops.add(h, ops.linear(ops.gatedAct(gate, up, c.activation), w.down, c.mlpBias))
  }
  const hidden = norm(h, FINAL_NORM)
  return { hidden, logits: ops.head(hidden, c.tieWordEmbeddings ? EMBED : LM_HEAD) }
}
