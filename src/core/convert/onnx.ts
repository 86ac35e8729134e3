/**
 * A Hugging Face checkpoint → its inference graph (src/kernels/model/infer.ts), written as
 * `onnx/model.onnx` in the Optimum / transformers.js layout, or built in memory for a folder that
 * has weights but no graph yet. Graphs whose weights pass 1.8 GB keep them as external data
 * `<file>_data` beside the model (protobuf cannot hold 2 GiB; transformers.js looks for that name).
 */
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { LlmError } from '../errors.js'
import { Checkpoint } from '../model/checkpoint.js'
import { emitDecoder, paramSpecs, type ModelConfig, type WeightSource } from '../../kernels/model/index.js'
import type { Graph } from '../../kernels/onnx/graph.js'

/** protobuf cannot hold 2 GiB; keep a margin for the graph itself */
export const EXTERNAL_DATA_ABOVE = 1_800_000_000

export interface ExportOptions {
  /** output file; default DIR/onnx/model.onnx */
  out?: string
  /** store weights as external data (`<file>_data`) when they total more bytes than this */
  externalDataAbove?: number
  opset?: number
}

export interface ExportResult { file: string; bytes: number; externalData?: string; config: ModelConfig; nodes: number }

/** float32 bytes of the graph's initializers */
export function graphWeightBytes(c: ModelConfig): number {
  return paramSpecs(c).reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0)
}

/** Write `graph` to `file` atomically (weights as external data above the threshold). */
export function writeGraph(graph: Graph, file: string, weightBytes: number, externalDataAbove = EXTERNAL_DATA_ABOVE): { bytes: number; externalData?: string } {
  const ext = weightBytes > externalDataAbove ? `${file.split('/').pop()}_data` : undefined
  const { model, externalData } = graph.toParts(ext ? { externalData: { fileName: ext } } : { producer: 'llm' })
  if (externalData && ext) writeFileAtomic(join(dirname(file), ext), externalData)
  writeFileAtomic(file, model)
  return { bytes: model.byteLength + (externalData ?? []).reduce((a, p) => a + p.byteLength, 0), externalData: ext }
}

/** Emit the decoder of the checkpoint folder `dir` and write it (default `dir/onnx/model.onnx`). */
export function exportOnnx(dir: string, opts: ExportOptions = {}): ExportResult {
  const ck = Checkpoint.open(dir)
  const graph = emitDecoder(ck.config, ck, { where: dir, opset: opts.opset })
  const file = opts.out ?? join(dir, 'onnx', 'model.onnx')
  const w = writeGraph(graph, file, graphWeightBytes(ck.config), opts.externalDataAbove)
  return { file, ...w, config: ck.config, nodes: graph.nodeCount }
}

/** The inference graph as bytes, for a session opened straight from weights (no file written). */
export function graphBytes(config: ModelConfig, weights: WeightSource, where: string): Uint8Array {
  if (graphWeightBytes(config) > EXTERNAL_DATA_ABOVE) {
    throw new LlmError('this model is too large to build its graph in memory', { where, hint: `save it once: llm convert ${where} --from hf --out DIR` })
  }
  return emitDecoder(config, weights, { where }).toBytes({ producer: 'llm' }).model
}
