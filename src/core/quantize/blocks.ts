/**
 * Weight blocks for onnxruntime's com.microsoft MatMulNBits (contrib_defs: MatMulNBits, MLAS
 * blockwise quantization): for a weight W[N, K] (PyTorch nn.Linear [out, in] order) every output
 * column n is cut along K into blocks of `block` values; each block has one scale, and the
 * default zero point 2^(bits−1) (8 for 4 bits, 128 for 8 bits): w ≈ (q − zp) · scale.
 *
 *   B       uint8 [N, ⌈K/block⌉, block·bits/8]   4 bits: byte j = q[2j] | q[2j+1] << 4
 *   scales  float [N · ⌈K/block⌉]
 *
 * The quantizers are llama.cpp's q4_0 and q8_0 (ggml-quants.c), so a `--to q4` ONNX file and a
 * q4_0 GGUF hold the same numbers: 4 bits: scale = max/−8 (max: the value of largest |w|),
 * q = min(15, trunc(w/scale + 8.5)); 8 bits: scale = amax/127, q = roundf(w/scale) + 128.
 * K is padded with zeros to whole blocks (they quantize to the zero point). quantizeBlock is the
 * one block quantizer: GGUF tensors (convert/gguf-file.ts) use it too.
 */
export interface NBitsWeight {
  bits: 4 | 8
  block: number
  N: number
  K: number
  /** [N, blocks, block·bits/8] */
  data: Uint8Array
  /** [N · blocks] */
  scales: Float32Array
}

const f = Math.fround
/** round half away from zero, as C's roundf */
const roundf = (v: number): number => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5))

/**
 * llama.cpp's q4_0 / q8_0 quantizer for one block, the one both ONNX MatMulNBits weights and GGUF
 * tensors use: x[o, o + len) padded with zeros to `q.length` values → q (unsigned: zero point 8 for
 * 4 bits, 128 for 8 bits); returns the scale, computed in float32. (gguf-py computes x·id + 8.5 in
 * float64 and truncates; ggml's reference does the same in float.)
 */
export function quantizeBlock(x: Float32Array, o: number, len: number, bits: 4 | 8, q: Uint8Array): number {
  let amax = 0
  let max = 0
  for (let k = o; k < o + len; k++) {
    const v = x[k]!
    if (Math.abs(v) > amax) { amax = Math.abs(v); max = v }
  }
  const d = bits === 4 ? f(max / -8) : f(amax / 127)
  const id = d ? f(1 / d) : 0
  for (let j = 0; j < q.length; j++) {
    const v = j < len ? x[o + j]! : 0
    q[j] = bits === 4 ? Math.min(15, Math.max(0, Math.trunc(v * id + 8.5))) : roundf(f(v * id)) + 128
  }
  return d
}

/** Quantize W[N, K] (row-major, row n = output column n). */
export function quantizeNBits(w: Float32Array, N: number, K: number, bits: 4 | 8, block = 32): NBitsWeight {
  const blocks = Math.ceil(K / block)
  const blob = (block * bits) / 8
  const data = new Uint8Array(N * blocks * blob)
  const scales = new Float32Array(N * blocks)
  const q = new Uint8Array(block)
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * block
      const si = n * blocks + b
      const o = si * blob
      scales[si] = quantizeBlock(w, n * K + k0, Math.min(K, k0 + block) - k0, bits, q)
      if (bits === 4) for (let j = 0; j < blob; j++) data[o + j] = q[2 * j]! | (q[2 * j + 1]! << 4)
      else data.set(q, o)
    }
  }
  return { bits, block, N, K, data, scales }
}

/** W[N, K] back from its blocks (for tests and error reports). */
export function dequantizeNBits(qw: NBitsWeight): Float32Array {
  const { bits, block, N, K, data, scales } = qw
  const blocks = Math.ceil(K / block)
  const blob = (block * bits) / 8
  const zp = bits === 4 ? 8 : 128
  const out = new Float32Array(N * K)
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / block), j = k % block
      const byte = data[(n * blocks + b) * blob + (bits === 4 ? j >> 1 : j)]!
      const qv = bits === 4 ? (j & 1 ? byte >> 4 : byte & 15) : byte
      out[n * K + k] = (qv - zp) * scales[n * blocks + b]!
    }
  }
  return out
}
