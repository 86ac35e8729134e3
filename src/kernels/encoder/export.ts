/**
 * Hugging Face BERT folder (config.json + model.safetensors) → `onnx/model.onnx` in the
 * transformers.js feature-extraction layout (see bert.ts).
 */
import { join } from 'node:path'
import { writeFileAtomic } from '../../core/atomic.js'
import { readJsonFile, readModelWeights } from '../llama/export.js'
import { bertConfigFromHf, emitBertEncoder, type BertConfig } from './bert.js'

export interface BertExportResult { file: string; bytes: number; config: BertConfig; nodes: number }

export function exportBertOnnx(dir: string, opts: { out?: string; opset?: number } = {}): BertExportResult {
  const config = bertConfigFromHf(readJsonFile(join(dir, 'config.json')), join(dir, 'config.json'))
  const graph = emitBertEncoder(config, readModelWeights(dir), { where: dir, opset: opts.opset })
  const file = opts.out ?? join(dir, 'onnx', 'model.onnx')
  const { model } = graph.toBytes()
  writeFileAtomic(file, model)
  return { file, bytes: model.byteLength, config, nodes: graph.nodeCount }
}
