/**
 * Hugging Face Llama folder (config.json + model.safetensors, or a sharded
 * model.safetensors.index.json) → `onnx/model.onnx` for onnxruntime and transformers.js.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../../core/atomic.js'
import { LlmError, fileError } from '../../core/errors.js'
import { readSafetensors, type SafeTensor } from '../../core/safetensors.js'
import { llamaConfigFromHf, type LlamaConfig } from './config.js'
import { emitLlamaDecoder } from './decoder.js'

/** protobuf cannot hold 2 GiB; keep a margin for the graph itself */
const EXTERNAL_DATA_ABOVE = 1_800_000_000

export function readJsonFile(file: string): Record<string, unknown> {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (err) { throw fileError(file, err) }
  try {
    const v = JSON.parse(text)
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object')
    return v as Record<string, unknown>
  } catch (err) {
    throw new LlmError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`, { where: file })
  }
}

/** All tensors of a model folder: model.safetensors, or the shards listed in its index. */
export function readModelWeights(dir: string): Map<string, SafeTensor> {
  const single = join(dir, 'model.safetensors')
  if (existsSync(single)) return readSafetensors(single).tensors
  const indexFile = join(dir, 'model.safetensors.index.json')
  if (!existsSync(indexFile)) throw new LlmError('no model.safetensors or model.safetensors.index.json', { where: dir })
  const map = readJsonFile(indexFile).weight_map as Record<string, string> | undefined
  if (!map || typeof map !== 'object') throw new LlmError(`'weight_map' missing`, { where: indexFile })
  const out = new Map<string, SafeTensor>()
  for (const shard of new Set(Object.values(map))) {
    for (const [name, t] of readSafetensors(join(dir, shard)).tensors) out.set(name, t)
  }
  return out
}

export interface ExportResult { file: string; bytes: number; externalData?: string; config: LlamaConfig; nodes: number }

/** Emit the decoder for the folder `dir` and write `dir/onnx/model.onnx` (atomically). */
export interface ExportOptions {
  /** output file; default DIR/onnx/model.onnx */
  out?: string
  /** store weights as external data (`<file>_data`) when they total more bytes than this (default 1.8e9) */
  externalDataAbove?: number
  opset?: number
}

export function exportLlamaOnnx(dir: string, opts: ExportOptions = {}): ExportResult {
  const config = llamaConfigFromHf(readJsonFile(join(dir, 'config.json')), join(dir, 'config.json'))
  const weights = readModelWeights(dir)
  const graph = emitLlamaDecoder(config, weights, { where: dir, opset: opts.opset })
  const file = opts.out ?? join(dir, 'onnx', 'model.onnx')
  let weightBytes = 0
  for (const t of weights.values()) weightBytes += t.data.byteLength
  // transformers.js looks for external data as `<model file>_data`
  const ext = weightBytes > (opts.externalDataAbove ?? EXTERNAL_DATA_ABOVE) ? `${file.split('/').pop()}_data` : undefined
  const { model, externalData } = graph.toParts(ext ? { externalData: { fileName: ext } } : {})
  if (externalData && ext) writeFileAtomic(join(dirname(file), ext), externalData)
  writeFileAtomic(file, model)
  const extBytes = (externalData ?? []).reduce((a, p) => a + p.byteLength, 0)
  return { file, bytes: model.byteLength + extBytes, externalData: ext, config, nodes: graph.nodeCount }
}
