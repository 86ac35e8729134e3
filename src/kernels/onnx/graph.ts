/**
 * A small ONNX graph builder: collect inputs, outputs, initializers and nodes, then serialise a
 * ModelProto with protobufjs and our schema (`schema.ts`, official onnx.proto field numbers).
 * Both the inference-graph emitter (`src/kernels/llama`) and the training engine build through it;
 * its surface is fixed by the team's graph contract (additions only).
 *
 * Nodes are kept in the order `op()` is called, which is topological as long as every input was
 * produced before it is used (the builder checks that, so a typo fails here, not inside ORT).
 */
import { LlmError } from '../../core/errors.js'
import { ATTR_TYPE, DATA_TYPE, ModelProto } from './schema.js'

export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8' | 'bfloat16'
export type Dim = number | string
export type TypedData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array

export interface AttrFloat { readonly kind: 'float'; readonly value: number }
export interface AttrFloats { readonly kind: 'floats'; readonly value: readonly number[] }
export interface AttrTensor { readonly kind: 'tensor'; readonly dtype: DType; readonly dims: readonly number[]; readonly data: TypedData }
/** a subgraph attribute (If/Loop/Scan bodies); the subgraph may read names of the outer graph */
export interface AttrGraph { readonly kind: 'graph'; readonly graph: Graph }
/** integer number / bigint → INT, non-integer number → FLOAT, number[] → INTS, string → STRING, string[] → STRINGS */
export type AttrValue = number | bigint | readonly number[] | string | readonly string[] | AttrFloat | AttrFloats | AttrTensor | AttrGraph

export function float(x: number): AttrFloat { return { kind: 'float', value: x } }
export function floats(xs: readonly number[]): AttrFloats { return { kind: 'floats', value: [...xs] } }
export function tensorAttr(dtype: DType, dims: readonly number[], data: TypedData): AttrTensor {
  checkData('tensor attribute', dtype, dims, data)
  return { kind: 'tensor', dtype, dims: [...dims], data }
}
export function graphAttr(graph: Graph): AttrGraph { return { kind: 'graph', graph } }

interface ValueSpec { name: string; dtype: DType; dims: readonly Dim[] }
interface InitSpec { name: string; dtype: DType; dims: readonly number[]; data: TypedData }
interface NodeSpec { opType: string; inputs: string[]; outputs: string[]; attrs: Record<string, AttrValue>; domain: string; name: string }

const ARRAY_FOR: Record<DType, string> = {
  float32: 'Float32Array', float16: 'Uint16Array', bfloat16: 'Uint16Array', int64: 'BigInt64Array',
  int32: 'Int32Array', bool: 'Uint8Array', uint8: 'Uint8Array', int8: 'Int8Array',
}

function checkData(what: string, dtype: DType, dims: readonly number[], data: TypedData): void {
  const n = dims.reduce((a, b) => a * b, 1)
  if (data.constructor.name !== ARRAY_FOR[dtype]) {
    throw new LlmError(`${what}: ${dtype} data must be a ${ARRAY_FOR[dtype]}, got ${data.constructor.name}`)
  }
  if (data.length !== n) throw new LlmError(`${what}: dims [${dims.join(',')}] need ${n} values, got ${data.length}`)
}

/** Build a typed array of `dtype` from plain numbers/bigints (float16/bfloat16 need raw bit patterns). */
export function typedFrom(dtype: DType, values: readonly number[] | readonly bigint[]): TypedData {
  const nums = values as readonly (number | bigint)[]
  switch (dtype) {
    case 'float32': return Float32Array.from(nums, Number)
    case 'int64': return BigInt64Array.from(nums, (v) => BigInt(v))
    case 'int32': return Int32Array.from(nums, Number)
    case 'bool': case 'uint8': return Uint8Array.from(nums, Number)
    case 'int8': return Int8Array.from(nums, Number)
    case 'float16': case 'bfloat16':
      throw new LlmError(`const: ${dtype} values must be given as a Uint16Array of bit patterns`)
  }
}

export interface GraphOptions { name?: string; opset?: number; msOpset?: number }

export interface ToBytesOptions {
  /** tensors of at least thresholdBytes (default 1024) go to `fileName` beside the model */
  externalData?: { fileName: string; thresholdBytes?: number }
  producer?: string
  /** ModelProto.metadata_props */
  metadata?: Record<string, string>
}

export class Graph {
  readonly name: string
  readonly opset: number
  readonly msOpset?: number
  private readonly inputs: ValueSpec[] = []
  private readonly outputs: ValueSpec[] = []
  private readonly inits = new Map<string, InitSpec>()
  private readonly nodes: NodeSpec[] = []
  /** every value name defined so far (inputs, initializers, node outputs) */
  private readonly defined = new Set<string>()
  /** names reserved by fresh() or given explicitly, so fresh names never collide */
  private readonly taken = new Set<string>()
  private readonly constCache = new Map<string, string>()
  private counter = 0
  /** outer graph, for subgraphs: names defined there may be used here */
  private outer?: Graph

  constructor(opts: GraphOptions = {}) {
    this.name = opts.name ?? 'main'
    this.opset = opts.opset ?? 17
    this.msOpset = opts.msOpset
  }

  /** A subgraph (If/Loop body) sharing this graph's fresh-name space and able to read its values. */
  subgraph(name: string): Graph {
    const g = new Graph({ name, opset: this.opset, msOpset: this.msOpset })
    g.outer = this
    return g
  }

  get nodeCount(): number { return this.nodes.length }
  get inputNames(): string[] { return this.inputs.map((v) => v.name) }
  get outputNames(): string[] { return this.outputs.map((v) => v.name) }
  get initializerNames(): string[] { return [...this.inits.keys()] }
  /** op types used, with counts (for tests and size reports) */
  opCounts(): Record<string, number> {
    const c: Record<string, number> = {}
    for (const n of this.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1
    return c
  }

  private root(): Graph { return this.outer ? this.outer.root() : this }

  private isDefined(name: string): boolean {
    return this.defined.has(name) || (this.outer?.isDefined(name) ?? false)
  }

  private define(name: string, what: string): void {
    if (!name) throw new LlmError(`${what}: empty value name`, { where: `graph ${this.name}` })
    if (this.isDefined(name)) throw new LlmError(`${what}: value '${name}' is already defined`, { where: `graph ${this.name}` })
    this.defined.add(name)
    this.root().taken.add(name)
  }

  fresh(prefix: string): string {
    const root = this.root()
    let name: string
    do name = `${prefix}_${root.counter++}`
    while (root.taken.has(name) || this.isDefined(name))
    root.taken.add(name)
    return name
  }

  input(name: string, dtype: DType, dims: Dim[]): string {
    this.define(name, 'input')
    this.inputs.push({ name, dtype, dims: [...dims] })
    return name
  }

  output(name: string, dtype: DType, dims: Dim[]): void {
    if (!this.isDefined(name)) throw new LlmError(`output '${name}' is not produced by any node, input or initializer`, { where: `graph ${this.name}` })
    if (this.outputs.some((o) => o.name === name)) throw new LlmError(`output '${name}' declared twice`, { where: `graph ${this.name}` })
    this.outputs.push({ name, dtype, dims: [...dims] })
  }

  initializer(name: string, dtype: DType, dims: number[], data: TypedData): string {
    checkData(`initializer '${name}'`, dtype, dims, data)
    this.define(name, 'initializer')
    this.inits.set(name, { name, dtype, dims: [...dims], data })
    return name
  }

  /** A small constant initializer; identical small constants are shared. */
  const(dtype: DType, dims: number[], values: readonly number[] | readonly bigint[] | TypedData): string {
    const data = ArrayBuffer.isView(values) ? values as TypedData : typedFrom(dtype, values as number[])
    const small = data.length <= 64
    const key = small ? `${dtype}|${dims.join(',')}|${Array.from(data as ArrayLike<number | bigint>, String).join(',')}` : ''
    if (small) {
      const hit = this.constCache.get(key)
      if (hit) return hit
    }
    const name = this.initializer(this.fresh('const'), dtype, dims, data)
    if (small) this.constCache.set(key, name)
    return name
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; domain?: string } = {}): string {
    return this.opN(opType, inputs, [opts.name ?? this.fresh(opType)], attrs, opts)[0]
  }

  opN(opType: string, inputs: string[], n: number | string[], attrs: Record<string, AttrValue> = {}, opts: { domain?: string } = {}): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.isDefined(i)) {
        throw new LlmError(`${opType}: input '${i}' is not defined yet`, { where: `graph ${this.name}`, hint: 'create inputs, initializers and producing nodes first' })
      }
    }
    const outputs = typeof n === 'number' ? Array.from({ length: n }, () => this.fresh(opType)) : [...n]
    for (const o of outputs) if (o !== '') this.define(o, opType)
    this.nodes.push({ opType, inputs: [...inputs], outputs, attrs, domain: opts.domain ?? '', name: this.fresh(`n_${opType}`) })
    return outputs
  }

  /** Serialise the model. With externalData, large initializers are stored in a second buffer. */
  toBytes(opts: ToBytesOptions = {}): { model: Uint8Array; externalData?: Uint8Array } {
    const { model, externalData } = this.toParts(opts)
    return externalData ? { model, externalData: concat(externalData) } : { model }
  }

  /**
   * Like toBytes, but the external data stays a list of chunks (padding and tensor views, no
   * copy), for writeFileAtomic: weights beyond Node's 4 GiB typed-array limit still serialise.
   */
  toParts(opts: ToBytesOptions = {}): { model: Uint8Array; externalData?: Uint8Array[] } {
    const ext = opts.externalData ? new ExternalWriter(opts.externalData.fileName, opts.externalData.thresholdBytes ?? 1024) : undefined
    const opsets = [{ domain: '', version: this.opset }]
    if (this.msOpset !== undefined) opsets.push({ domain: 'com.microsoft', version: this.msOpset })
    const model = {
      ir_version: irVersionFor(this.opset),
      producer_name: opts.producer ?? 'llm',
      producer_version: '0.1.0',
      opset_import: opsets,
      graph: this.toProto(ext),
      metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    }
    const bytes = ModelProto.encode(model as unknown as protobufMessage).finish()
    // protobufs over 2 GiB cannot be parsed (int32 sizes): such weights must go to external data.
    if (bytes.length >= 2 ** 31) {
      throw new LlmError(`the ONNX protobuf is ${bytes.length} bytes, over the 2 GiB protobuf limit`, { where: `graph ${this.name}`, hint: 'save with externalData' })
    }
    return ext ? { model: bytes, externalData: ext.parts } : { model: bytes }
  }

  /** GraphProto as a plain object for protobufjs (also used for subgraph attributes). */
  private toProto(ext?: ExternalWriter): object {
    return {
      name: this.name,
      node: this.nodes.map((n) => ({
        name: n.name,
        op_type: n.opType,
        domain: n.domain || undefined,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v, `${n.opType} attribute ${k}`)),
      })),
      initializer: [...this.inits.values()].map((t) => tensorProto(t.name, t.dtype, t.dims, t.data, ext)),
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    }
  }

  /** @internal for subgraph attributes */
  static protoOf(g: Graph): object { return g.toProto() }
}

type protobufMessage = Parameters<typeof ModelProto.encode>[0]

/** ONNX IR version that goes with an opset (onnx/docs/Versioning.md table). */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3
  if (opset <= 9) return 4
  if (opset <= 10) return 5
  if (opset <= 11) return 6
  if (opset <= 14) return 7
  if (opset <= 18) return 8
  if (opset <= 20) return 9
  if (opset <= 22) return 10
  return 11
}

function valueInfo(v: ValueSpec): object {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: DATA_TYPE[v.dtype],
        shape: { dim: v.dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
      },
    },
  }
}

function bytesOf(data: TypedData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

function tensorProto(name: string, dtype: DType, dims: readonly number[], data: TypedData, ext?: ExternalWriter): object {
  const base = { name, dims: [...dims], data_type: DATA_TYPE[dtype] }
  const raw = bytesOf(data)
  if (ext && raw.byteLength >= ext.threshold) {
    const { offset, length } = ext.add(raw)
    return {
      ...base,
      data_location: 1,
      external_data: [
        { key: 'location', value: ext.fileName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    }
  }
  return { ...base, raw_data: raw }
}

function attrProto(name: string, v: AttrValue, what: string): object {
  if (typeof v === 'bigint') return { name, type: ATTR_TYPE.INT, i: v.toString() }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: ATTR_TYPE.INT, i: v } : { name, type: ATTR_TYPE.FLOAT, f: v }
  }
  if (typeof v === 'string') return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(v) }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: ATTR_TYPE.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) }
    if (!v.every((x) => Number.isInteger(x))) throw new LlmError(`${what}: number[] is INTS and must hold integers; use floats([...]) for FLOATS`)
    return { name, type: ATTR_TYPE.INTS, ints: v }
  }
  const a = v as AttrFloat | AttrFloats | AttrTensor | AttrGraph
  switch (a.kind) {
    case 'float': return { name, type: ATTR_TYPE.FLOAT, f: a.value }
    case 'floats': return { name, type: ATTR_TYPE.FLOATS, floats: a.value }
    case 'tensor': return { name, type: ATTR_TYPE.TENSOR, t: tensorProto('', a.dtype, a.dims, a.data) }
    case 'graph': return { name, type: ATTR_TYPE.GRAPH, g: Graph.protoOf(a.graph) }
  }
}

/** Packs large tensors into one external-data buffer, each aligned to 64 bytes. */
class ExternalWriter {
  private readonly chunks: Uint8Array[] = []
  private size = 0
  constructor(readonly fileName: string, readonly threshold: number) {}

  add(raw: Uint8Array): { offset: number; length: number } {
    const pad = (64 - (this.size % 64)) % 64
    if (pad) { this.chunks.push(new Uint8Array(pad)); this.size += pad }
    const offset = this.size
    this.chunks.push(raw)
    this.size += raw.byteLength
    return { offset, length: raw.byteLength }
  }

  get parts(): Uint8Array[] { return this.chunks }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}
