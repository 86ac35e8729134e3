/**
 * Inputs, outputs and cache wiring of encoder-decoder graphs in the Optimum / transformers.js
 * layout, shared by every family emitter (marian.ts, t5.ts):
 *
 *   onnx/encoder_model.onnx
 *     in   input_ids [batch_size, encoder_sequence_length] int64, attention_mask (same) int64
 *     out  last_hidden_state [batch_size, encoder_sequence_length, C] float32
 *   onnx/decoder_model_merged.onnx   (mode 'merged')
 *     in   input_ids [batch_size, decoder_sequence_length], encoder_attention_mask,
 *          encoder_hidden_states, past_key_values.{i}.decoder|encoder.key|value, use_cache_branch bool [1]
 *     out  logits [batch_size, decoder_sequence_length, V], present.{i}.decoder|encoder.key|value
 *   onnx/decoder_model.onnx          (mode 'first': no past inputs; all presents out)
 *   onnx/decoder_with_past_model.onnx (mode 'with_past': past inputs, no encoder_hidden_states;
 *          only the decoder presents out — the cross-attention KV stays the first step's)
 *
 * In the merged graph only the cross-attention keys/values sit under the If on use_cache_branch
 * (else: computed from encoder_hidden_states; then: passed through from the past inputs); the
 * self-attention concatenates its past, empty on the first step, so it needs no branch.
 * Past dims are named `batch_size`, `past_decoder_sequence_length` and
 * `encoder_sequence_length_out`, heads and head size numeric: transformers.js builds its first
 * (empty) cache from that metadata.
 */
import { graphAttr, type Graph } from '../onnx/graph.js'

export type DecoderMode = 'merged' | 'first' | 'with_past'

export const SEQ2SEQ_FILES = {
  encoder: 'encoder_model.onnx',
  merged: 'decoder_model_merged.onnx',
  first: 'decoder_model.onnx',
  with_past: 'decoder_with_past_model.onnx',
} as const

export const selfPast = (i: number, kind: 'key' | 'value'): string => `past_key_values.${i}.decoder.${kind}`
export const crossPast = (i: number, kind: 'key' | 'value'): string => `past_key_values.${i}.encoder.${kind}`
export const selfPresent = (i: number, kind: 'key' | 'value'): string => `present.${i}.decoder.${kind}`
export const crossPresent = (i: number, kind: 'key' | 'value'): string => `present.${i}.encoder.${kind}`

export interface KV { k: string; v: string }

export interface DecoderShape { layers: number; heads: number; headDim: number; vocab: number }

/**
 * Builds every layer's cross-attention K/V [B, H, T, D] in graph `g` from the encoder output
 * rows [B·T, C]; `bsEnc` = [B, T] int64 [2].
 */
export type CrossKvBuilder = (g: Graph, encRows: string, bsEnc: string) => KV[]

export interface DecoderIO {
  inputIds: string
  /** Shape(input_ids) = [B, S] */
  bs: string
  /** int64 [1]: new tokens S, cached tokens P */
  S: string
  P: string
  /** encoder_attention_mask int64 [B, T] */
  encMask: string
  /** cross-attention K/V per layer */
  cross: KV[]
  /** self-attention K/V of layer i after appending the new k/v [B, H, S, D]; names the present outputs */
  selfKv(i: number, k: string, v: string): KV
  /** name the logits [B·S, V] rows and declare every output */
  finish(logitRows: string): void
}

export function decoderIO(g: Graph, mode: DecoderMode, s: DecoderShape, buildCross: CrossKvBuilder): DecoderIO {
  const { layers, heads: H, headDim: D } = s
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length'])
  const encMask = g.input('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length'])
  const encHidden = mode === 'with_past' ? undefined : g.input('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', 'encoder_hidden_size'])
  if (mode !== 'first') {
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value'] as const) g.input(selfPast(i, kind), 'float32', ['batch_size', H, 'past_decoder_sequence_length', D])
      for (const kind of ['key', 'value'] as const) g.input(crossPast(i, kind), 'float32', ['batch_size', H, 'encoder_sequence_length_out', D])
    }
  }
  const useCache = mode === 'merged' ? g.input('use_cache_branch', 'bool', [1]) : undefined

  const bs = g.op('Shape', [inputIds])
  const S = g.op('Shape', [inputIds], { start: 1, end: 2 })
  const P = mode === 'first' ? g.const('int64', [1], [0]) : g.op('Shape', [selfPast(0, 'key')], { start: 2, end: 3 })

  const fromHidden = (sub: Graph): KV[] => {
    const bsEnc = sub.op('Shape', [encHidden!], { start: 0, end: 2 })
    const rows = sub.op('Reshape', [encHidden!, sub.op('Concat', [sub.const('int64', [1], [-1]), sub.op('Shape', [encHidden!], { start: 2, end: 3 })], { axis: 0 })])
    return buildCross(sub, rows, bsEnc)
  }
  const passThrough = (sub: Graph): KV[] =>
    Array.from({ length: layers }, (_, i) => ({ k: sub.op('Identity', [crossPast(i, 'key')]), v: sub.op('Identity', [crossPast(i, 'value')]) }))
  const crossDims = ['batch_size', H, 'encoder_sequence_length_out', D]

  let cross: KV[]
  if (mode === 'first') cross = fromHidden(g)
  else if (mode === 'with_past') cross = Array.from({ length: layers }, (_, i) => ({ k: crossPast(i, 'key'), v: crossPast(i, 'value') }))
  else {
    const branch = (name: string, body: (sub: Graph) => KV[]): Graph => {
      const sub = g.subgraph(name)
      for (const kv of body(sub)) { sub.output(kv.k, 'float32', crossDims); sub.output(kv.v, 'float32', crossDims) }
      return sub
    }
    const names = Array.from({ length: layers }, (_, i) => [crossPresent(i, 'key'), crossPresent(i, 'value')]).flat()
    g.opN('If', [useCache!], names, { then_branch: graphAttr(branch('use_cache', passThrough)), else_branch: graphAttr(branch('compute_cross_kv', fromHidden)) })
    cross = Array.from({ length: layers }, (_, i) => ({ k: crossPresent(i, 'key'), v: crossPresent(i, 'value') }))
  }

  return {
    inputIds, bs, S, P, encMask, cross,
    selfKv(i, k, v) {
      if (mode === 'first') {
        return { k: g.op('Identity', [k], {}, { name: selfPresent(i, 'key') }), v: g.op('Identity', [v], {}, { name: selfPresent(i, 'value') }) }
      }
      return {
        k: g.op('Concat', [selfPast(i, 'key'), k], { axis: 2 }, { name: selfPresent(i, 'key') }),
        v: g.op('Concat', [selfPast(i, 'value'), v], { axis: 2 }, { name: selfPresent(i, 'value') }),
      }
    },
    finish(logitRows) {
      const shape = g.op('Concat', [bs, g.const('int64', [1], [s.vocab])], { axis: 0 })
      g.op('Reshape', [logitRows, shape], {}, { name: 'logits' })
      g.output('logits', 'float32', ['batch_size', 'decoder_sequence_length', s.vocab])
      for (let i = 0; i < layers; i++) {
        for (const kind of ['key', 'value'] as const) g.output(selfPresent(i, kind), 'float32', ['batch_size', H, 'present_decoder_sequence_length', D])
      }
      if (mode === 'with_past') return
      if (mode === 'first') {
        cross.forEach((kv, i) => {
          g.op('Identity', [kv.k], {}, { name: crossPresent(i, 'key') })
          g.op('Identity', [kv.v], {}, { name: crossPresent(i, 'value') })
        })
      }
      for (let i = 0; i < layers; i++) {
        for (const kind of ['key', 'value'] as const) g.output(crossPresent(i, kind), 'float32', crossDims)
      }
    },
  }
}

/** The encoder graph's inputs: input_ids and attention_mask [batch_size, encoder_sequence_length]. */
export function encoderInputs(g: Graph): { inputIds: string; mask: string; bs: string; S: string } {
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'encoder_sequence_length'])
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length'])
  return { inputIds, mask, bs: g.op('Shape', [inputIds]), S: g.op('Shape', [inputIds], { start: 1, end: 2 }) }
}

/** Name the encoder output rows [B·S, C] `last_hidden_state` [B, S, C]. */
export function encoderOutput(g: Graph, rows: string, bs: string, C: number): void {
  g.op('Reshape', [rows, g.op('Concat', [bs, g.const('int64', [1], [C])], { axis: 0 })], {}, { name: 'last_hidden_state' })
  g.output('last_hidden_state', 'float32', ['batch_size', 'encoder_sequence_length', C])
}
