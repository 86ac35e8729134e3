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
import { ropeTables as modelRopeTables, rotateHalf, type Rope } from '../model/rope.js'

export interface RopeTables {
  /** [T, D], or [B, 1, T, D] for packed rows */
  cos: string
  sin: string
  /** S [D, D]: x @ S = rotate_half(x) */
  rotate: string
  /** Sᵀ */
  rotateT: string
}

/**
 * Tables for T positions from the model's RoPE numbers (src/kernels/model/rope.ts, which rounds
 * as transformers does and covers scaling and partial rotary): cos/sin [T, D] initializers, or —
 * with `positionIds` int64 [B, T] (packed rows whose positions restart per sample) — those tables
 * gathered per row and viewed [B, 1, T, D] to broadcast over heads.
 */
export function ropeTables(t: Tape, rope: Rope, D: number, T: number, positionIds?: string): RopeTables {
  const { cos, sin } = modelRopeTables(rope, D, T)
  // rotate_half(x)_i = sign_i · x_{source_i};  (x @ S)_i = Σ_j x_j S[j, i]
  const { source, sign } = rotateHalf(rope, D)
  const S = new Float32Array(D * D)
  const ST = new Float32Array(D * D)
  for (let i = 0; i < D; i++) {
    S[source[i] * D + i] = sign[i]
    ST[i * D + source[i]] = sign[i]
  }
  const init = (name: string, dims: number[], data: Float32Array) => t.g.initializer(t.g.fresh(name), 'float32', dims, data)
  let cosT = init('rope_cos', [T, D], cos)
  let sinT = init('rope_sin', [T, D], sin)
  if (positionIds) {
    const rows = (table: string) => t.g.op('Unsqueeze', [t.g.op('Gather', [table, positionIds], { axis: 0 }), t.ints([1])]) // [B, 1, T, D]
    cosT = rows(cosT)
    sinT = rows(sinT)
  }
  return { cos: cosT, sin: sinT, rotate: init('rope_rotate', [D, D], S), rotateT: init('rope_rotate_t', [D, D], ST) }
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
