/**
 * Emitter (b): the training forward of `decoderForward` on the op tape (static shapes, every op
 * with its backward rule), ending in the mean cross-entropy. Parameters the tape watches get
 * gradients; the others (a frozen base under LoRA) are read as plain inputs.
 *
 * Letters: B batch, T time, M = B·T rows, C hidden, H/KV query/key-value heads, D head size.
 * Rows of a batch either hold one window each (positions 0..T−1, plain causal mask) or, packed,
 * several samples each: then `positionIds` restart per sample and `segmentIds` keep attention
 * block-diagonal, so a packed sample computes exactly what it would alone.
 *
 * LoRA (PEFT's LoraLayer): a module with an adapter computes
 *   y = x Wᵀ (+ b) + scaling · (x Aᵀ) Bᵀ        A [r, in], B [out, r]
 * which equals the merged weight W + scaling·B·A, the form `finetune merge` writes.
 */
import { LlmError } from '../../core/errors.js'
import type { Tape, Value } from '../autodiff/tape.js'
import { attentionMask, causalAttention } from '../ops/attention.js'
import { crossEntropy } from '../ops/cross-entropy.js'
import { embedding } from '../ops/embedding.js'
import { linear } from '../ops/linear.js'
import { geluTanhGate, siluGate } from '../ops/mlp.js'
import { rmsNorm } from '../ops/rmsnorm.js'
import { rope, ropeTables, type RopeTables } from '../ops/rope.js'
import { add, addBias, reshape, scale, splitLast, transpose } from '../ops/shape.js'
import type { Activation, ModelConfig } from './config.js'
import { decoderForward, type Ops } from './forward.js'

/** A LoRA adapter on one module: names of its A and B tensors in `params`. */
export interface LoraModule { a: string; b: string; scaling: number }

export interface TrainForward {
  /** every tensor the forward reads, by name (HF names; LoRA tensors under the names in `lora`) */
  params: Map<string, Value>
  /** module (e.g. `model.layers.0.self_attn.q_proj`) → its adapter */
  lora?: Map<string, LoraModule>
  /** int64 [M] token ids and targets (negative = not trained) */
  ids: string
  targets: string
  B: number
  T: number
  /** packed rows: int64 [B, T] each */
  positionIds?: string
  segmentIds?: string
}

class TrainOps implements Ops<Value> {
  private readonly tables: RopeTables
  private readonly masks = new Map<number, string>()

  constructor(private readonly t: Tape, private readonly c: ModelConfig, private readonly f: TrainForward) {
    if (f.T > c.maxPositionEmbeddings) {
      throw new LlmError(`sequence length ${f.T} exceeds max_position_embeddings ${c.maxPositionEmbeddings}`, { hint: 'use a shorter --seq-len' })
    }
    this.tables = ropeTables(t, c.rope, c.headDim, f.T, f.positionIds)
  }

  private param(name: string): Value {
    const v = this.f.params.get(name)
    if (!v) throw new LlmError(`no parameter ${name}`)
    return v
  }

  embed(weight: string, s: number): Value {
    const rows = embedding(this.t, this.param(weight), this.f.ids, this.f.B * this.f.T)
    return s === 1 ? rows : scale(this.t, rows, s)
  }

  linear(x: Value, module: string, bias: boolean): Value {
    const t = this.t
    let y = linear(t, x, this.param(`${module}.weight`))
    const lora = this.f.lora?.get(module)
    if (lora) y = add(t, y, scale(t, linear(t, linear(t, x, this.param(lora.a)), this.param(lora.b)), lora.scaling))
    return bias ? addBias(t, y, this.param(`${module}.bias`)) : y
  }

  linears(x: Value, modules: string[], bias: boolean): Value[] {
    return modules.map((m) => this.linear(x, m, bias))
  }

  head(x: Value, weight: string): Value {
    return linear(this.t, x, this.param(weight))
  }

  rmsNorm(x: Value, weight: string, eps: number, offset: 0 | 1): Value {
    return rmsNorm(this.t, x, this.param(weight), eps, offset)
  }

  gatedAct(gate: Value, up: Value, act: Activation): Value {
    return act === 'silu' ? siluGate(this.t, gate, up) : geluTanhGate(this.t, gate, up)
  }

  addNorm(h: Value, delta: Value, weight: string, eps: number, offset: 0 | 1): [Value, Value] {
    const sum = add(this.t, h, delta)
    return [sum, this.rmsNorm(sum, weight, eps, offset)]
  }

  split(x: Value, widths: number[]): Value[] {
    return splitLast(this.t, x, widths)
  }

  attention(layer: number, qRows: Value, kRows: Value, vRows: Value): Value {
    const t = this.t
    const { B, T } = this.f
    const { numHeads: H, numKvHeads: KV, headDim: D } = this.c
    // [M, heads·D] → [B, heads, T, D]
    const heads = (x: Value, n: number): Value => transpose(t, reshape(t, x, [B, T, n, D]), [0, 2, 1, 3])
    const q = rope(t, heads(qRows, H), this.tables)
    const k = rope(t, heads(kRows, KV), this.tables)
    const v = heads(vRows, KV)
    const o = causalAttention(t, q, k, v, this.mask(this.c.slidingWindows[layer] ?? 0))
    return reshape(t, transpose(t, o, [0, 2, 1, 3]), [B * T, H * D])
  }

  private mask(window: number): string {
    let m = this.masks.get(window)
    if (!m) {
      m = attentionMask(this.t, this.f.T, window, this.f.segmentIds)
      this.masks.set(window, m)
    }
    return m
  }
}

/** Emit the forward and the mean cross-entropy over the targets that are not ignored. */
export function modelLoss(t: Tape, c: ModelConfig, f: TrainForward): Value {
  const { logits } = decoderForward(c, new TrainOps(t, c, f))
  return crossEntropy(t, logits, f.targets)
}
