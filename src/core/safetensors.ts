/**
 * safetensors read/write (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__:
 * {str: str}}`, then the raw little-endian tensor bytes; offsets are relative to the byte after the
 * header. We validate like the reference Rust reader: the header is JSON object text, every
 * tensor's byte length equals numel × dtype size, and the tensors tile the data region exactly
 * (no gaps, no overlap, nothing left over).
 *
 * Reading goes tensor by tensor through a file descriptor (not one giant Buffer), so files over
 * Node's 4 GiB Buffer limit work and each tensor lands in its own aligned ArrayBuffer.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { LlmError, fileError } from './errors.js'
import { writeFileAtomic } from './atomic.js'
import { halfToFloat32Array } from './runtime/fp16.js'

export type SafeDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I8' | 'U8' | 'BOOL'
export type SafeData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array

export interface SafeTensor {
  dtype: SafeDType
  shape: number[]
  /** F16 and BF16 are raw 16-bit patterns */
  data: SafeData
}

export interface SafetensorsFile {
  /** in file order (by offset) */
  tensors: Map<string, SafeTensor>
  metadata: Record<string, string>
}

export interface SafeHeaderEntry { dtype: SafeDType; shape: number[]; begin: number; end: number }

const DTYPE_SIZE: Record<SafeDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I8: 1, U8: 1, BOOL: 1 }
/** the header is JSON of a few KiB per thousand tensors; 100 MB (the Rust reader's limit) is plenty */
const MAX_HEADER = 100_000_000

function bad(file: string, what: string): LlmError {
  return new LlmError(`corrupt safetensors file: ${what}`, { where: file, hint: 'the file may be truncated or not a safetensors file' })
}

/** Parse and validate the header; `dataSize` is the file size minus 8 minus the header length. */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataSize: number, file: string): { entries: Map<string, SafeHeaderEntry>; metadata: Record<string, string> } {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes))
  } catch (err) {
    throw bad(file, `header is not valid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad(file, 'header is not a JSON object')
  const metadata: Record<string, string> = {}
  const entries: [string, SafeHeaderEntry][] = []
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object') throw bad(file, '__metadata__ is not an object')
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw bad(file, `__metadata__.${k} is not a string`)
        metadata[k] = s
      }
      continue
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
    if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPE_SIZE)) throw bad(file, `tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)} (supported: ${Object.keys(DTYPE_SIZE).join(', ')})`)
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(file, `tensor '${name}' has an invalid shape`)
    const off = e.data_offsets
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
      throw bad(file, `tensor '${name}' has invalid data_offsets`)
    }
    const dtype = e.dtype as SafeDType
    const shape = e.shape as number[]
    const want = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype]
    if (off[1] - off[0] !== want) throw bad(file, `tensor '${name}' (${dtype} [${shape.join(',')}]) needs ${want} bytes but data_offsets span ${off[1] - off[0]}`)
    entries.push([name, { dtype, shape, begin: off[0], end: off[1] }])
  }
  entries.sort((a, b) => a[1].begin - b[1].begin)
  let pos = 0
  for (const [name, e] of entries) {
    if (e.begin !== pos) throw bad(file, `tensor '${name}' starts at byte ${e.begin} of the data, expected ${pos} (gap or overlap)`)
    pos = e.end
  }
  if (pos !== dataSize) throw bad(file, `tensors cover ${pos} data bytes but the file holds ${dataSize}`)
  return { entries: new Map(entries), metadata }
}

function typedView(dtype: SafeDType, buf: ArrayBuffer): SafeData {
  switch (dtype) {
    case 'F32': return new Float32Array(buf)
    case 'F16': case 'BF16': return new Uint16Array(buf)
    case 'I64': return new BigInt64Array(buf)
    case 'I32': return new Int32Array(buf)
    case 'I8': return new Int8Array(buf)
    case 'U8': case 'BOOL': return new Uint8Array(buf)
  }
}

function readFull(fd: number, buf: Uint8Array, position: number): number {
  let got = 0
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got)
    if (n === 0) break
    got += n
  }
  return got
}

/**
 * A safetensors file opened for reading tensor by tensor: the header is parsed and checked at open
 * (a truncated file fails here, naming the file), data is read on `read(name)`.
 */
export class SafetensorsReader {
  private constructor(readonly file: string, readonly entries: Map<string, SafeHeaderEntry>, readonly metadata: Record<string, string>, private readonly dataStart: number) {}

  static open(file: string): SafetensorsReader {
    return withFd(file, (fd) => {
      const size = fstatSync(fd).size
      if (size < 8) throw bad(file, `file is ${size} bytes, shorter than the 8-byte header length`)
      const lenBytes = new Uint8Array(8)
      readFull(fd, lenBytes, 0)
      const n = Number(new DataView(lenBytes.buffer).getBigUint64(0, true))
      if (n > MAX_HEADER || 8 + n > size) throw bad(file, `header length ${n} does not fit in a ${size}-byte file`)
      const header = new Uint8Array(n)
      readFull(fd, header, 8)
      const { entries, metadata } = parseSafetensorsHeader(header, size - 8 - n, file)
      return new SafetensorsReader(file, entries, metadata, 8 + n)
    })
  }

  /** tensor names in file order */
  get names(): string[] { return [...this.entries.keys()] }

  read(name: string): SafeTensor {
    const e = this.entries.get(name)
    if (!e) throw new LlmError(`no tensor '${name}' in this file`, { where: this.file })
    return withFd(this.file, (fd) => this.readEntry(fd, name, e))
  }

  /** every tensor (optionally only those `only` accepts), reading the file once */
  readAll(only?: (name: string) => boolean): Map<string, SafeTensor> {
    return withFd(this.file, (fd) => {
      const out = new Map<string, SafeTensor>()
      for (const [name, e] of this.entries) if (!only || only(name)) out.set(name, this.readEntry(fd, name, e))
      return out
    })
  }

  private readEntry(fd: number, name: string, e: SafeHeaderEntry): SafeTensor {
    const bytes = new Uint8Array(e.end - e.begin)
    if (readFull(fd, bytes, this.dataStart + e.begin) !== bytes.length) throw bad(this.file, `tensor '${name}' is cut short`)
    return { dtype: e.dtype, shape: e.shape, data: typedView(e.dtype, bytes.buffer) }
  }
}

function withFd<T>(file: string, fn: (fd: number) => T): T {
  let fd: number
  try { fd = openSync(file, 'r') } catch (err) { throw fileError(file, err) }
  try {
    return fn(fd)
  } catch (err) {
    throw fileError(file, err)
  } finally {
    closeSync(fd)
  }
}

/** Read a whole safetensors file (optionally only the tensors `only` accepts). */
export function readSafetensors(file: string, only?: (name: string) => boolean): SafetensorsFile {
  const r = SafetensorsReader.open(file)
  return { tensors: r.readAll(only), metadata: r.metadata }
}

const ARRAY_FOR: Record<SafeDType, string> = {
  F32: 'Float32Array', F16: 'Uint16Array', BF16: 'Uint16Array', I64: 'BigInt64Array', I32: 'Int32Array',
  I8: 'Int8Array', U8: 'Uint8Array', BOOL: 'Uint8Array',
}

/**
 * Encode tensors (in the given order) as safetensors parts, ready for writeFileAtomic. The header is
 * padded with spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned, as the
 * reference writer does.
 */
export function encodeSafetensors(tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array[] {
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors)
  const header: Record<string, unknown> = {}
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata
  const parts: Uint8Array[] = []
  let offset = 0
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new LlmError(`tensor name '__metadata__' is reserved by safetensors`)
    if (t.data.constructor.name !== ARRAY_FOR[t.dtype]) throw new LlmError(`tensor '${name}': ${t.dtype} data must be a ${ARRAY_FOR[t.dtype]}`)
    const numel = t.shape.reduce((a, b) => a * b, 1)
    if (numel !== t.data.length) throw new LlmError(`tensor '${name}': shape [${t.shape.join(',')}] needs ${numel} values, got ${t.data.length}`)
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] }
    offset += bytes.length
    parts.push(bytes)
  }
  let json = JSON.stringify(header)
  const enc = new TextEncoder()
  const pad = (8 - (enc.encode(json).length % 8)) % 8
  json += ' '.repeat(pad)
  const headerBytes = enc.encode(json)
  const len = new Uint8Array(8)
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.length), true)
  return [len, headerBytes, ...parts]
}

/** Write a safetensors file atomically. */
export function writeSafetensors(file: string, tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata?: Record<string, string>): void {
  const parts = encodeSafetensors(tensors, metadata)
  try { writeFileAtomic(file, parts) } catch (err) { throw fileError(file, err, 'cannot write file') }
}

/** bfloat16 bit patterns → float32 (exact: bf16 is the top half of a float32). */
export function bf16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16
  return new Float32Array(out.buffer)
}

/** float32 → bfloat16 bit patterns, round to nearest even (NaN kept quiet). */
export function float32ToBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length)
  const out = new Uint16Array(src.length)
  for (let i = 0; i < src.length; i++) {
    const b = bits[i]
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff)) { out[i] = (b >>> 16) | 0x40; continue }
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16
  }
  return out
}

/** Any floating tensor as float32 (F16/BF16 widened exactly; F32 returned as is). */
export function tensorToFloat32(t: SafeTensor, name = 'tensor'): Float32Array {
  switch (t.dtype) {
    case 'F32': return t.data as Float32Array
    case 'F16': return halfToFloat32Array(t.data as Uint16Array)
    case 'BF16': return bf16ToFloat32(t.data as Uint16Array)
    default: throw new LlmError(`tensor '${name}' is ${t.dtype}, not a floating-point tensor`)
  }
}
