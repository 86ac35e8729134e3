/**
 * A Hugging Face encoder-decoder folder (config.json + model.safetensors, or shards) → the ONNX
 * files of the Optimum / transformers.js layout under DIR/onnx (kernels/seq2seq/io.ts):
 * encoder_model.onnx plus decoder_model_merged.onnx ('merged') and/or decoder_model.onnx +
 * decoder_with_past_model.onnx ('split'), weights as external data past 1.8 GB.
 */
import { join } from 'node:path'
import { readJsonObject } from '../json.js'
import { folderWeights } from '../model/checkpoint.js'
import { SEQ2SEQ_FILES, seq2seqEmitters, type DecoderMode, type Seq2SeqFamily } from '../../kernels/seq2seq/index.js'
import type { Graph } from '../../kernels/onnx/graph.js'
import { writeGraph } from './onnx.js'

export interface Seq2SeqExportOptions {
  /** 'merged' (default): one decoder with use_cache_branch; 'split': decoder + decoder_with_past */
  layouts?: ('merged' | 'split')[]
  /** output folder; default DIR/onnx */
  outDir?: string
}

export interface Seq2SeqExportResult { family: Seq2SeqFamily; files: string[]; bytes: number }

export function exportSeq2SeqOnnx(dir: string, opts: Seq2SeqExportOptions = {}): Seq2SeqExportResult {
  const weights = folderWeights(dir)
  const { family, graphs } = seq2seqEmitters(readJsonObject(join(dir, 'config.json')), weights, dir)
  const out = opts.outDir ?? join(dir, 'onnx')
  const weightBytes = weights.names.reduce((n, name) => n + 4 * weights.get(name)!.shape.reduce((a, b) => a * b, 1), 0)
  const modes: DecoderMode[] = []
  for (const l of opts.layouts ?? ['merged']) modes.push(...(l === 'merged' ? ['merged' as const] : ['first' as const, 'with_past' as const]))
  const files: string[] = []
  let bytes = 0
  const write = (name: string, g: Graph): void => {
    const file = join(out, name)
    bytes += writeGraph(g, file, weightBytes).bytes
    files.push(file)
  }
  write(SEQ2SEQ_FILES.encoder, graphs.encoder())
  for (const m of modes) write(SEQ2SEQ_FILES[m], graphs.decoder(m))
  return { family, files, bytes }
}
