/**
 * A Hugging Face BERT folder (config.json + model.safetensors, or shards) → `onnx/model.onnx` in
 * the transformers.js feature-extraction layout (kernels/encoder/bert.ts).
 */
import { join } from 'node:path'
import { readJsonObject } from '../json.js'
import { folderWeights } from '../model/checkpoint.js'
import { bertConfigFromHf, bertWeightShapes, emitBertEncoder, type BertConfig } from '../../kernels/encoder/index.js'
import { writeGraph } from './onnx.js'

export interface BertExportResult { file: string; bytes: number; config: BertConfig; nodes: number }

export function exportBertOnnx(dir: string, opts: { out?: string; opset?: number } = {}): BertExportResult {
  const config = bertConfigFromHf(readJsonObject(join(dir, 'config.json')), join(dir, 'config.json'))
  const graph = emitBertEncoder(config, folderWeights(dir), { where: dir, opset: opts.opset })
  const file = opts.out ?? join(dir, 'onnx', 'model.onnx')
  const weightBytes = bertWeightShapes(config).reduce((n, [, s]) => n + 4 * s.reduce((a, b) => a * b, 1), 0)
  return { file, ...writeGraph(graph, file, weightBytes), config, nodes: graph.nodeCount }
}
