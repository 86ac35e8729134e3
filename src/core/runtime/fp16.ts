/**
 * IEEE 754 half precision <-> single precision, for float16 models: onnxruntime-node hands
 * float16 tensors over as raw Uint16Array bits. Exact (round-to-nearest-even on the way down),
 * including subnormals, infinities and NaN.
 */

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** One half-precision bit pattern to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24 // subnormal (or zero)
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** A number to the nearest half-precision bit pattern (round half to even). */
export function floatToHalf(x: number): number {
  f32[0] = x
  const bits = u32[0]!
  const sign = (bits >>> 16) & 0x8000
  const exp = (bits >>> 23) & 0xff
  let mant = bits & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0) // inf / NaN
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign // underflow -> signed zero
    mant |= 0x800000 // implicit leading one
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rest = mant & ((1 << shift) - 1)
    let m = mant >>> shift
    if (rest > half || (rest === half && (m & 1))) m++
    return sign | m
  }
  let h = sign | (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++ // carry may roll into the exponent: correct
  return h
}

// 64K-entry table: converting a 32000-wide logits row is a table lookup per element.
let table: Float32Array | undefined
function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536)
    for (let i = 0; i < 65536; i++) table[i] = halfToFloat(i)
  }
  return table
}

/** Convert `src[start, start+length)` (half bits) into a new Float32Array. */
export function halfToFloat32Array(src: Uint16Array, start = 0, length = src.length - start): Float32Array {
  const t = halfTable()
  const out = new Float32Array(length)
  for (let i = 0; i < length; i++) out[i] = t[src[start + i]!]!
  return out
}

export function float32ToHalfArray(src: Float32Array | readonly number[]): Uint16Array {
  const out = new Uint16Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = floatToHalf(src[i]!)
  return out
}
