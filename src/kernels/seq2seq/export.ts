/**
 * A Hugging Face encoder-decoder folder (config.json + model.safetensors) → the ONNX files of the
 * Optimum / transformers.js layout under DIR/onnx (see io.ts): encoder_model.onnx plus
 * decoder_model_merged.onnx ('merged') and/or decoder_model.onnx + decoder_with_past_model.onnx
 * ('split'). Families: marian (MarianMTModel) and t5 / mt5 (T5ForConditionalGeneration).
 */
import { join } from 'node:path'
import { writeFileAtomic } from '../../core/atomic.js'
import { LlmError } from '../../core/errors.js'
import { readJson } from '../../core/model/folder.js'
import type { Graph } from '../onnx/graph.js'
import { SEQ2SEQ_FILES, type DecoderMode } from './io.js'
import { emitMarianDecoder, emitMarianEncoder, marianConfigFromHf } from './marian.js'
import { emitT5Decoder, emitT5Encoder, t5ConfigFromHf } from './t5.js'
import { folderWeights, type WeightSource } from './weights.js'

export type Seq2SeqFamily = 'marian' | 't5'
export const SEQ2SEQ_FAMILIES: Record<string, Seq2SeqFamily> = { marian: 'marian', t5: 't5', mt5: 't5' }

export interface Seq2SeqGraphs { encoder: () => Graph; decoder: (mode: DecoderMode) => Graph }

/** The emitters for config.json `json`, or a one-line error naming the unsupported model_type. */
export function seq2seqEmitters(json: Record<string, unknown>, weights: WeightSource, where: string): { family: Seq2SeqFamily; graphs: Seq2SeqGraphs } {
  const type = String(json.model_type ?? '')
  const family = SEQ2SEQ_FAMILIES[type]
  if (!family) throw new LlmError(`model_type '${type}' has no encoder-decoder emitter`, { where, hint: `supported: ${Object.keys(SEQ2SEQ_FAMILIES).join(', ')}` })
  if (family === 'marian') {
    const c = marianConfigFromHf(json, where)
    return { family, graphs: { encoder: () => emitMarianEncoder(c, weights, where), decoder: (m) => emitMarianDecoder(c, weights, m, where) } }
  }
  const c = t5ConfigFromHf(json, where)
  return { family, graphs: { encoder: () => emitT5Encoder(c, weights, where), decoder: (m) => emitT5Decoder(c, weights, m, where) } }
}

export interface Seq2SeqExportOptions {
  /** 'merged' (default): one decoder with use_cache_branch; 'split': decoder + decoder_with_past */
  layouts?: ('merged' | 'split')[]
  /** output folder; default DIR/onnx */
  outDir?: string
}

export interface Seq2SeqExportResult { family: Seq2SeqFamily; files: string[]; bytes: number }

export function exportSeq2SeqOnnx(dir: string, opts: Seq2SeqExportOptions = {}): Seq2SeqExportResult {
  const json = readJson(join(dir, 'config.json'))
  const weights = folderWeights(dir)
  const { family, graphs } = seq2seqEmitters(json, weights, dir)
  const out = opts.outDir ?? join(dir, 'onnx')
  const modes: DecoderMode[] = []
  for (const l of opts.layouts ?? ['merged']) modes.push(...(l === 'merged' ? ['merged' as const] : ['first' as const, 'with_past' as const]))
  const files: string[] = []
  let bytes = 0
  const write = (name: string, g: Graph): void => {
    const file = join(out, name)
    const { model } = g.toBytes()
    if (model.byteLength > 1_800_000_000) throw new LlmError('the graph is over 1.8 GB; external data is not supported for encoder-decoder export yet', { where: file })
    writeFileAtomic(file, model)
    files.push(file)
    bytes += model.byteLength
  }
  write(SEQ2SEQ_FILES.encoder, graphs.encoder())
  for (const m of modes) write(SEQ2SEQ_FILES[m], graphs.decoder(m))
  return { family, files, bytes }
}
