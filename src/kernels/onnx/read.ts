/**
 * Decode an ONNX model into plain objects, for tests and inspection (`llm` never needs to execute
 * a graph itself; onnxruntime does). External data is resolved when the model's folder is given.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../../core/errors.js'
import { ATTR_TYPE, DATA_TYPE, ModelProto } from './schema.js'
import type { Dim, DType, TypedData } from './graph.js'

export interface ValueInfo { name: string; dtype: DType | string; dims: Dim[] }
export interface TensorInfo { name: string; dtype: DType | string; dims: number[]; data?: TypedData; external?: { location: string; offset: number; length: number } }
export interface NodeInfo { opType: string; domain: string; name: string; inputs: string[]; outputs: string[]; attrs: Record<string, unknown> }
export interface ModelInfo {
  irVersion: number
  producer: string
  opsets: { domain: string; version: number }[]
  inputs: ValueInfo[]
  outputs: ValueInfo[]
  initializers: TensorInfo[]
  nodes: NodeInfo[]
  metadata: Record<string, string>
}

const DTYPE_OF = new Map<number, DType | string>(Object.entries(DATA_TYPE).map(([k, v]) => [v, k]))

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf objects are untyped */
type Any = any

export function readModel(bytes: Uint8Array, opts: { folder?: string; where?: string } = {}): ModelInfo {
  let m: Any
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false, arrays: true })
  } catch (err) {
    throw new LlmError(`not an ONNX model: ${err instanceof Error ? err.message : String(err)}`, { where: opts.where ?? '<bytes>', cause: err })
  }
  const g: Any = m.graph ?? {}
  const extCache = new Map<string, Uint8Array>()
  const props: Record<string, string> = {}
  for (const p of m.metadata_props ?? []) props[p.key] = p.value
  return {
    irVersion: m.ir_version ?? 0,
    producer: m.producer_name ?? '',
    opsets: (m.opset_import ?? []).map((o: Any) => ({ domain: o.domain ?? '', version: o.version ?? 0 })),
    inputs: (g.input ?? []).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    initializers: (g.initializer ?? []).map((t: Any) => tensorInfo(t, opts.folder, extCache)),
    nodes: (g.node ?? []).map((n: Any) => ({
      opType: n.op_type, domain: n.domain ?? '', name: n.name ?? '', inputs: n.input ?? [], outputs: n.output ?? [],
      attrs: Object.fromEntries((n.attribute ?? []).map((a: Any) => [a.name, attrValue(a)])),
    })),
    metadata: props,
  }
}

function valueInfo(v: Any): ValueInfo {
  const t = v.type?.tensor_type ?? {}
  return {
    name: v.name,
    dtype: DTYPE_OF.get(t.elem_type) ?? String(t.elem_type),
    dims: (t.shape?.dim ?? []).map((d: Any) => (d.dim_param !== undefined ? d.dim_param : d.dim_value ?? '?')),
  }
}

function typed(dtype: DType | string, raw: Uint8Array): TypedData {
  // copy into a fresh ArrayBuffer: aligned for the typed view, and (unlike Buffer#slice) not a
  // view into protobufjs' pool
  const copy = new Uint8Array(raw.byteLength)
  copy.set(raw)
  const buf = copy.buffer
  switch (dtype) {
    case 'float32': return new Float32Array(buf)
    case 'float16': case 'bfloat16': return new Uint16Array(buf)
    case 'int64': return new BigInt64Array(buf)
    case 'int32': return new Int32Array(buf)
    case 'int8': return new Int8Array(buf)
    default: return new Uint8Array(buf)
  }
}

function tensorInfo(t: Any, folder: string | undefined, cache: Map<string, Uint8Array>): TensorInfo {
  const dtype = DTYPE_OF.get(t.data_type) ?? String(t.data_type)
  const out: TensorInfo = { name: t.name ?? '', dtype, dims: t.dims ?? [] }
  if (t.data_location === 1) {
    const kv: Record<string, string> = {}
    for (const e of t.external_data ?? []) kv[e.key] = e.value
    out.external = { location: kv.location, offset: Number(kv.offset ?? 0), length: Number(kv.length ?? 0) }
    if (folder) {
      let file = cache.get(kv.location)
      if (!file) { file = readFileSync(join(folder, kv.location)); cache.set(kv.location, file) }
      out.data = typed(dtype, file.subarray(out.external.offset, out.external.offset + out.external.length))
    }
  } else if (t.raw_data) {
    out.data = typed(dtype, t.raw_data)
  } else if (t.float_data) out.data = Float32Array.from(t.float_data)
  else if (t.int64_data) out.data = BigInt64Array.from(t.int64_data, (x: number) => BigInt(x))
  else if (t.int32_data) out.data = Int32Array.from(t.int32_data)
  return out
}

function attrValue(a: Any): unknown {
  switch (a.type) {
    case ATTR_TYPE.FLOAT: return a.f ?? 0
    case ATTR_TYPE.INT: return a.i ?? 0
    case ATTR_TYPE.STRING: return new TextDecoder().decode(a.s)
    case ATTR_TYPE.FLOATS: return a.floats ?? []
    case ATTR_TYPE.INTS: return a.ints ?? []
    case ATTR_TYPE.STRINGS: return (a.strings ?? []).map((s: Uint8Array) => new TextDecoder().decode(s))
    case ATTR_TYPE.TENSOR: return tensorInfo(a.t, undefined, new Map())
    case ATTR_TYPE.GRAPH: return { graph: a.g?.name ?? '', nodes: (a.g?.node ?? []).length }
    default: return undefined
  }
}
