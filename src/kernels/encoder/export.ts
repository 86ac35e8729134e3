/**
 * Hugging Face BERT folder (config.json + one model.safetensors) → `onnx/model.onnx` in the
 * transformers.js feature-extraction layout (see bert.ts).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../../core/atomic.js'
import { LlmError } from '../../core/errors.js'
import { readJson } from '../../core/model/folder.js'
import { readSafetensors } from '../../core/safetensors.js'
import { bertConfigFromHf, emitBertEncoder, type BertConfig } from './bert.js'

export interface BertExportResult { file: string; bytes: number; config: BertConfig; nodes: number }

export function exportBertOnnx(dir: string, opts: { out?: string; opset?: number } = {}): BertExportResult {
  const config = bertConfigFromHf(readJson(join(dir, 'config.json')), join(dir, 'config.json'))
  const weightsFile = join(dir, 'model.safetensors')
  if (!existsSync(weightsFile)) throw new LlmError('no model.safetensors in this folder (sharded BERT checkpoints are not read)', { where: dir })
  const graph = emitBertEncoder(config, readSafetensors(weightsFile).tensors, { where: weightsFile, opset: opts.opset })
  const file = opts.out ?? join(dir, 'onnx', 'model.onnx')
  const { model } = graph.toBytes()
  writeFileAtomic(file, model)
  return { file, bytes: model.byteLength, config, nodes: graph.nodeCount }
}
