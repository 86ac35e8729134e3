/**
 * The only module that imports onnxruntime-node. It creates sessions, maps `--device` names to
 * execution providers, checks every run's inputs against the session's declared inputs and, when
 * onnxruntime fails, rethrows with each input's name, dtype and dims (as transformers.js does).
 *
 * Note: `session.run` is a synchronous native call under the promise; callers that must keep the
 * event loop live (the ink chat view, training progress) run this from a worker thread.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { LlmError, usageError } from '../errors.js'

export const DEVICES = ['cpu', 'cuda', 'webgpu', 'dml', 'coreml', 'auto'] as const
export type Device = (typeof DEVICES)[number]

export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8'
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array
export type Tensor = ort.Tensor
export type Feeds = Record<string, ort.Tensor>

export interface SessionOptions {
  device?: Device | string
  /** intra-op threads; default: onnxruntime's choice (all cores) */
  threads?: number
  /** print which provider was chosen for `auto` (stderr) */
  onInfo?: (line: string) => void
  /** graph optimisation level; default 'all' */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
}

export function parseDevice(name: string): Device {
  if ((DEVICES as readonly string[]).includes(name)) return name as Device
  throw usageError(`unknown device '${name}'`, { where: '--device', hint: `valid devices: ${DEVICES.join(', ')}` })
}

// onnxruntime's own logger writes native error lines to stderr (e.g. when the CUDA provider
// library is missing) before the failure reaches us as an exception; we report failures
// ourselves, on one line, so its logger only speaks for fatal errors.
ort.env.logLevel = 'fatal'

/**
 * Execution providers onnxruntime-node can load on this machine: the bundled ones, plus those
 * whose provider library was installed beside the binding (CUDA/TensorRT are downloaded by
 * onnxruntime-node's postinstall only when allowed).
 */
export function availableDevices(): string[] {
  const listed: { name: string; bundled?: boolean }[] = ort.listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }]
  return listed.filter((b) => b.bundled !== false || providerLibraryPresent(b.name)).map((b) => b.name)
}

function providerLibraryPresent(name: string): boolean {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'))
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
    const bin = join(dir, 'bin', 'napi-v6', process.platform, process.arch)
    const file = process.platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`
    return existsSync(join(bin, file))
  } catch {
    return false
  }
}

function providersFor(device: Device): string[] {
  switch (device) {
    case 'cpu': return ['cpu']
    case 'cuda': return ['cuda', 'cpu']
    case 'webgpu': return ['webgpu', 'cpu']
    case 'dml': return ['dml', 'cpu']
    case 'coreml': return ['coreml', 'cpu']
    case 'auto': return ['cpu']
  }
}

export class ModelSession {
  readonly device: Device
  private constructor(private readonly session: ort.InferenceSession, device: Device, readonly source: string) {
    this.device = device
  }

  static async create(model: string | Uint8Array, opts: SessionOptions = {}): Promise<ModelSession> {
    const device = parseDevice(opts.device ?? 'cpu')
    const source = typeof model === 'string' ? model : '<in-memory model>'
    const tryDevices: Device[] = device === 'auto' ? autoOrder() : [device]
    let lastErr: unknown
    for (const d of tryDevices) {
      const so: ort.InferenceSession.SessionOptions = {
        executionProviders: providersFor(d) as ort.InferenceSession.ExecutionProviderConfig[],
        graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
        logSeverityLevel: 3,
      }
      if (opts.threads) { so.intraOpNumThreads = opts.threads; so.interOpNumThreads = 1 }
      try {
        // A path lets onnxruntime resolve external data (model.onnx.data) beside the model.
        const session = typeof model === 'string'
          ? await ort.InferenceSession.create(model, so)
          : await ort.InferenceSession.create(model, so)
        if (device === 'auto') opts.onInfo?.(`device auto: using ${d}`)
        return new ModelSession(session, d, source)
      } catch (err) {
        lastErr = err
        if (device !== 'auto') break
      }
    }
    const msg = lastErr instanceof Error ? lastErr.message.split('\n')[0] : String(lastErr)
    const hint = device === 'cuda'
      ? 'the CUDA provider is not installed by default; see README "GPU (CUDA)"'
      : 'is the file a valid ONNX model?'
    throw new LlmError(`cannot load ONNX model on ${device}: ${msg}`, { where: source, hint, cause: lastErr })
  }

  get inputNames(): readonly string[] { return this.session.inputNames }
  get outputNames(): readonly string[] { return this.session.outputNames }

  /** Declared input metadata: name, type and dims (symbolic dims as strings). */
  get inputMetadata(): { name: string; type?: string; dims?: readonly (number | string)[] }[] {
    const meta = (this.session as unknown as { inputMetadata?: unknown }).inputMetadata
    if (Array.isArray(meta)) {
      return meta.map((m: { name: string; type?: string; shape?: readonly (number | string)[] }) => ({ name: m.name, type: m.type, dims: m.shape }))
    }
    return this.session.inputNames.map((name) => ({ name }))
  }

  /** Declared output metadata, as `inputMetadata`. */
  get outputMetadata(): { name: string; type?: string; dims?: readonly (number | string)[] }[] {
    const meta = (this.session as unknown as { outputMetadata?: unknown }).outputMetadata
    if (Array.isArray(meta)) {
      return meta.map((m: { name: string; type?: string; shape?: readonly (number | string)[] }) => ({ name: m.name, type: m.type, dims: m.shape }))
    }
    return this.session.outputNames.map((name) => ({ name }))
  }

  /** Run with input checks; failures name every input's dtype and dims. */
  async run(feeds: Feeds, outputNames?: readonly string[]): Promise<Record<string, ort.Tensor>> {
    const missing = this.session.inputNames.filter((n) => !(n in feeds))
    const extra = Object.keys(feeds).filter((n) => !this.session.inputNames.includes(n))
    if (missing.length || extra.length) {
      throw new LlmError(
        `model inputs do not match: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unexpected ${extra.join(', ')}` : ''}`,
        { where: this.source, hint: `the model declares: ${this.session.inputNames.join(', ')}` },
      )
    }
    try {
      return outputNames ? await this.session.run(feeds, outputNames as string[]) : await this.session.run(feeds)
    } catch (err) {
      const inputs = Object.entries(feeds).map(([n, t]) => `${n}:${t.type}[${t.dims.join(',')}]`).join(' ')
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err)
      throw new LlmError(`onnxruntime failed: ${msg}; inputs ${inputs}`, { where: this.source, cause: err })
    }
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}

function autoOrder(): Device[] {
  const avail = new Set(availableDevices())
  const order: Device[] = []
  for (const d of ['cuda', 'dml', 'coreml'] as const) if (avail.has(d)) order.push(d)
  order.push('cpu')
  return order
}

/** Make a tensor. `dims` must multiply to `data.length`. */
export function tensor(type: TensorType, data: TensorData | number[] | bigint[], dims: readonly number[]): ort.Tensor {
  let typed: TensorData
  if (Array.isArray(data)) {
    switch (type) {
      case 'float32': typed = Float32Array.from(data as number[]); break
      case 'int64': typed = BigInt64Array.from((data as (number | bigint)[]).map((v) => BigInt(v))); break
      case 'int32': typed = Int32Array.from(data as number[]); break
      case 'bool': case 'uint8': typed = Uint8Array.from(data as number[]); break
      case 'int8': typed = Int8Array.from(data as number[]); break
      case 'float16': typed = Uint16Array.from(data as number[]); break
    }
  } else typed = data
  return new ort.Tensor(type, typed, dims as number[])
}
