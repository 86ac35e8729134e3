/**
 * GGUF version 3 encoding (ggml's docs/gguf.md; gguf-py's gguf_writer.py and quants.py):
 *
 *   uint32 magic "GGUF" | uint32 version 3 | uint64 tensor count | uint64 metadata count
 *   metadata: gguf string key | uint32 value type | value     (strings: uint64 length + UTF-8)
 *   tensor infos: name | uint32 n_dims | uint64 ne[n_dims] | uint32 ggml type | uint64 offset
 *   zero padding to `general.alignment` (32), then each tensor's data at its offset (aligned).
 *
 * ne[] lists dims innermost first: a PyTorch [rows, cols] weight is ne = [cols, rows], with the
 * row-major bytes unchanged. Everything is little-endian.
 *
 * Block formats, bit-exact with ggml-quants.c's reference quantizers (as gguf-py's are):
 *   Q8_0: 32 values → fp16 d = amax/127, int8 q = roundf(x/d)            (34 bytes)
 *   Q4_0: 32 values → fp16 d = max/-8 (max: the value of largest |x|),
 *         q = min(15, trunc(x/d + 8.5)), byte j = q[j] | q[j+16] << 4     (18 bytes)
 */
import { floatToHalf } from '../runtime/fp16.js'
import { quantizeBlock } from '../quantize/blocks.js'

export const GGUF_ALIGNMENT = 32

/** ggml_type ids (ggml.h) */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const
export type GgmlType = keyof typeof GGML_TYPE

/** llama_ftype ids written as general.file_type (llama.h) */
export const LLAMA_FTYPE: Record<GgmlType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 }

const BLOCK: Record<GgmlType, { size: number; bytes: number }> = {
  F32: { size: 1, bytes: 4 }, F16: { size: 1, bytes: 2 }, Q4_0: { size: 32, bytes: 18 }, Q8_0: { size: 32, bytes: 34 },
}

/** gguf_type ids */
const T = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const

/** A typed metadata value (GGUF has no untyped numbers). */
export type GgufValue =
  | { type: 'string'; value: string }
  | { type: 'uint32'; value: number }
  | { type: 'int32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'int32[]'; value: ArrayLike<number> }
  | { type: 'float32[]'; value: ArrayLike<number> }

export const gg = {
  str: (value: string): GgufValue => ({ type: 'string', value }),
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  strs: (value: readonly string[]): GgufValue => ({ type: 'string[]', value }),
  i32s: (value: ArrayLike<number>): GgufValue => ({ type: 'int32[]', value }),
  f32s: (value: ArrayLike<number>): GgufValue => ({ type: 'float32[]', value }),
}

export interface GgufTensor {
  name: string
  /** PyTorch order, outermost first ([rows, cols]); written reversed as ne[] */
  shape: readonly number[]
  type: GgmlType
  /** the encoded bytes (see encodeTensor) */
  data: Uint8Array
}

/** Grows a byte buffer for the header. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16)
  private view = new DataView(this.buf.buffer)
  length = 0
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
  u8(v: number): void { this.room(1); this.view.setUint8(this.length, v); this.length += 1 }
  u32(v: number): void { this.room(4); this.view.setUint32(this.length, v, true); this.length += 4 }
  i32(v: number): void { this.room(4); this.view.setInt32(this.length, v, true); this.length += 4 }
  f32(v: number): void { this.room(4); this.view.setFloat32(this.length, v, true); this.length += 4 }
  u64(v: number): void { this.room(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8 }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.length); this.length += b.length }
  str(s: string): void { const b = new TextEncoder().encode(s); this.u64(b.length); this.bytes(b) }
  pad(align: number): void { while (this.length % align) this.u8(0) }
  done(): Uint8Array { return this.buf.slice(0, this.length) }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'string': w.u32(T.STRING); w.str(v.value); break
    case 'uint32': w.u32(T.UINT32); w.u32(v.value); break
    case 'int32': w.u32(T.INT32); w.i32(v.value); break
    case 'float32': w.u32(T.FLOAT32); w.f32(v.value); break
    case 'bool': w.u32(T.BOOL); w.u8(v.value ? 1 : 0); break
    case 'string[]': w.u32(T.ARRAY); w.u32(T.STRING); w.u64(v.value.length); for (const s of v.value) w.str(s); break
    case 'int32[]': w.u32(T.ARRAY); w.u32(T.INT32); w.u64(v.value.length); for (let i = 0; i < v.value.length; i++) w.i32(v.value[i]!); break
    case 'float32[]': w.u32(T.ARRAY); w.u32(T.FLOAT32); w.u64(v.value.length); for (let i = 0; i < v.value.length; i++) w.f32(v.value[i]!); break
  }
}

/**
 * The file as parts (header, then each tensor's bytes with padding) ready for writeFileAtomic:
 * tensor data is not copied into one buffer.
 */
export function encodeGguf(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): Uint8Array[] {
  const w = new ByteWriter()
  w.u32(0x46554747) // "GGUF"
  w.u32(3)
  w.u64(tensors.length)
  w.u64(metadata.size)
  for (const [key, v] of metadata) { w.str(key); writeValue(w, v) }
  let offset = 0
  const pads: number[] = []
  for (const t of tensors) {
    const expected = tensorBytes(t.shape, t.type)
    if (t.data.byteLength !== expected) throw new Error(`tensor ${t.name}: ${t.data.byteLength} bytes, ${t.type} [${t.shape.join(',')}] needs ${expected}`)
    w.str(t.name)
    w.u32(t.shape.length)
    for (let i = t.shape.length - 1; i >= 0; i--) w.u64(t.shape[i]!)
    w.u32(GGML_TYPE[t.type])
    w.u64(offset)
    const end = offset + t.data.byteLength
    const aligned = Math.ceil(end / GGUF_ALIGNMENT) * GGUF_ALIGNMENT
    pads.push(aligned - end)
    offset = aligned
  }
  w.pad(GGUF_ALIGNMENT)
  const parts: Uint8Array[] = [w.done()]
  tensors.forEach((t, i) => {
    parts.push(t.data)
    if (pads[i]) parts.push(new Uint8Array(pads[i]!))
  })
  return parts
}

export function tensorBytes(shape: readonly number[], type: GgmlType): number {
  const n = shape.reduce((a, b) => a * b, 1)
  const b = BLOCK[type]
  return (n / b.size) * b.bytes
}

/** Whether rows of `cols` values can be stored as `type` (block types need whole blocks per row). */
export function fitsType(cols: number, type: GgmlType): boolean {
  return cols % BLOCK[type].size === 0
}

/** float32 values (row-major, rows of `cols`) encoded as `type`. */
export function encodeTensor(x: Float32Array, type: GgmlType): Uint8Array {
  switch (type) {
    case 'F32': return new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
    case 'F16': {
      const out = new Uint16Array(x.length)
      for (let i = 0; i < x.length; i++) out[i] = floatToHalf(x[i]!)
      return new Uint8Array(out.buffer)
    }
    case 'Q8_0': return quantizeQ8_0(x)
    case 'Q4_0': return quantizeQ4_0(x)
  }
}

/** llama.cpp's block_q8_0: fp16 scale, 32 int8 */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nb = x.length / 32
  const out = new Uint8Array(nb * 34)
  const view = new DataView(out.buffer)
  const q = new Uint8Array(32)
  for (let b = 0; b < nb; b++) {
    view.setUint16(b * 34, floatToHalf(quantizeBlock(x, b * 32, 32, 8, q)), true)
    for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, q[j]! - 128)
  }
  return out
}

/** llama.cpp's block_q4_0: fp16 scale, 16 bytes (value j in the low nibble of byte j, j + 16 in the high one) */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  const nb = x.length / 32
  const out = new Uint8Array(nb * 18)
  const view = new DataView(out.buffer)
  const q = new Uint8Array(32)
  for (let b = 0; b < nb; b++) {
    view.setUint16(b * 18, floatToHalf(quantizeBlock(x, b * 32, 32, 4, q)), true)
    for (let j = 0; j < 16; j++) out[b * 18 + 2 + j] = q[j]! | (q[j + 16]! << 4)
  }
  return out
}
