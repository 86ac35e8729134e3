/**
 * Rotary position embedding in Hugging Face's rotate-half form (LlamaRotaryEmbedding /
 * apply_rotary_pos_emb): inv_freq = theta^(−arange(0, D, 2)/D), angles = pos · inv_freq,
 * cos/sin = cat(angles, angles), x' = x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁].
 *
 * rotate_half is linear and position-free, so it is one small MatMul with a signed permutation
 * matrix S [D, D] (a Gather along the last axis costs ~10× more in onnxruntime's CPU provider):
 *   forward   y[B, H, T, D]  = x · cos[T, D] + (x @ S) · sin[T, D]
 *   backward  dx[B, H, T, D] = dy · cos + (dy · sin) @ Sᵀ
 * (Note: llama2.c's interleaved RoPE is a different pairing; HF checkpoints use this one.)
 */
import type { Tape, Value } from '../autodiff/tape.js'

export interface RopeTables {
  cos: string
  sin: string
  /** S [D, D]: x @ S = rotate_half(x) */
  rotate: string
  /** Sᵀ */
  rotateT: string
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
      cos[p * D + i] = cos[p * D + half + i] = Math.cos(a)
      sin[p * D + i] = sin[p * D + half + i] = Math.sin(a)
    }
  }
  // rotate_half(x)_i = −x_{i+half} (i < half), x_{i−half} (i ≥ half);  (x @ S)_i = Σ_j x_j S[j, i]
  const S = new Float32Array(D * D)
  const ST = new Float32Array(D * D)
  for (let i = 0; i < D; i++) {
    const j = i < half ? i + half : i - half
    const sign = i < half ? -1 : 1
    S[j * D + i] = sign
    ST[i * D + j] = sign
  }
  const init = (name: string, dims: number[], data: Float32Array) => t.g.initializer(t.g.fresh(name), 'float32', dims, data)
  return { cos: init('rope_cos', [T, D], cos), sin: init('rope_sin', [T, D], sin), rotate: init('rope_rotate', [D, D], S), rotateT: init('rope_rotate_t', [D, D], ST) }
}

/** x [..., T, D] (T, D the last two axes) rotated by position. */
export function rope(t: Tape, x: Value, tables: RopeTables): Value {
  const g = t.g
  const rotated = g.op('MatMul', [x.name, tables.rotate])
  const y = g.op('Add', [g.op('Mul', [x.name, tables.cos]), g.op('Mul', [rotated, tables.sin])])
  return t.record('rope', [x], [{ name: y, shape: x.shape }], ([dy]) => {
    if (!dy) return [undefined]
    const back = g.op('MatMul', [g.op('Mul', [dy, tables.sin]), tables.rotateT])
    return [g.op('Add', [g.op('Mul', [dy, tables.cos]), back])]
  })[0]
}
