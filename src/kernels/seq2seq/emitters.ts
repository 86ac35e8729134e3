/**
 * The encoder-decoder families by config.json model_type: marian (MarianMTModel) and t5 / mt5
 * (T5ForConditionalGeneration), each an encoder graph and decoder graphs of the Optimum /
 * transformers.js layout (io.ts). core/convert/seq2seq.ts writes them for a folder.
 */
import { LlmError } from '../../core/errors.js'
import type { Graph } from '../onnx/graph.js'
import type { DecoderMode } from './io.js'
import { emitMarianDecoder, emitMarianEncoder, marianConfigFromHf } from './marian.js'
import { emitT5Decoder, emitT5Encoder, t5ConfigFromHf } from './t5.js'
import type { WeightSource } from './weights.js'

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
