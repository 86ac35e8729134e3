/**
 * Rotary position embedding in Hugging Face's rotate-half form (LlamaRotaryEmbedding /
 * apply_rotary_pos_emb): inv_freq = theta^(−arange(0, D, 2)/D), angles = pos · inv_freq,
 * cos/sin = cat(angles, angles), x' = x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁].
 *
 * With swap(x) = [x₂, x₁] (one Gather along the last axis) and sinSigned = [−sin₁, sin₂]:
 *   forward   y[B, H, T, D]  = x · cos[T, D] + swap(x) · sinSigned[T, D]
 *   backward  dx[B, H, T, D] = dy · cos + swap(dy · sinSigned)        (swap is its own inverse)
 * (Note: llama2.c's interleaved RoPE is a different pairing; HF checkpoints use this one.)
 */
import type { Tape, Value } from '../autodiff/tape.js'

export interface RopeTables {
  cos: string
  sinSigned: string
  swap: string
}

/**
 * cos/sin tables as float32 initializers [T, D]. Each step is rounded to float32 the way
 * PyTorch computes it in float32 (inv_freq, then pos · inv_freq, then cos/sin).
 */
export function ropeTables(t: Tape, T: number, D: number, theta: number): RopeTables {
  const half = D / 2
  const cos = new Float32Array(T * D)
  const sin = new Float32Array(T * D)
  for (let i = 0; i < half; i++) {
    const inv = Math.fround(Math.pow(theta, Math.fround(-(2 * i) / D)))
    for (let p = 0; p < T; p++) {
      const a = Math.fround(p * inv)
      const c = Math.cos(a)
      const s = Math.sin(a)
      cos[p * D + i] = c
      cos[p * D + half + i] = c
      sin[p * D + i] = -s
      sin[p * D + half + i] = s
    }
  }
  const swap = Array.from({ length: D }, (_, i) => (i + half) % D)
  return {
    cos: t.g.initializer(t.g.fresh('rope_cos'), 'float32', [T, D], cos),
    sinSigned: t.g.initializer(t.g.fresh('rope_sin_signed'), 'float32', [T, D], sin),
    swap: t.ints(swap),
  }
}

/** x [..., T, D] (T, D the last two axes) rotated by position. */
export function rope(t: Tape, x: Value, tables: RopeTables): Value {
  const g = t.g
  const axis = x.shape.length - 1
  const swapped = g.op('Gather', [x.name, tables.swap], { axis })
  const y = g.op('Add', [g.op('Mul', [x.name, tables.cos]), g.op('Mul', [swapped, tables.sinSigned])])
  return t.record('rope', [x], [{ name: y, shape: x.shape }], ([dy]) => {
    if (!dy) return [undefined]
    const rotated = g.op('Gather', [g.op('Mul', [dy, tables.sinSigned]), tables.swap], { axis })
    return [g.op('Add', [g.op('Mul', [dy, tables.cos]), rotated])]
  })[0]
}
