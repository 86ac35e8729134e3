/**
 * The final hidden state (the final norm's output, before the LM head) of a decoder graph, for
 * B right-padded rows with no cache. Graphs emitted by `llm` (kernels/model/infer.ts) expose it as
 * the output `last_hidden_state` [batch_size, sequence_length, hidden_size].
 *
 * Stop-gap: the Decoder runtime (runtime/decoder.ts) returns logits only, so this builds the
 * cache-less feeds from `decoder.info` and runs the session itself. When Decoder.forward can
 * return `last_hidden_state`, this file becomes one call to it.
 */
import { LlmError } from '../errors.js'
import type { Decoder } from '../runtime/decoder.js'
import { halfToFloat32Array } from '../runtime/fp16.js'
import { tensor, type Feeds } from '../runtime/ort.js'
import { HIDDEN_OUTPUT } from '../../kernels/model/infer.js'

export { HIDDEN_OUTPUT }

export function hasHiddenOutput(decoder: Decoder): boolean {
  return decoder.session.outputNames.includes(HIDDEN_OUTPUT)
}

/** hidden [B·S·C] float32 for ids [B·S] with mask [B·S] (1 = real token). */
export async function decoderHidden(decoder: Decoder, ids: readonly number[], mask: readonly number[], B: number, S: number): Promise<{ hidden: Float32Array; size: number }> {
  const { info } = decoder
  if (!hasHiddenOutput(decoder)) {
    throw new LlmError(`the decoder graph has no '${HIDDEN_OUTPUT}' output, so it cannot give embeddings`, {
      where: info.file, hint: 're-export the model with this version of llm (llm convert), which adds that output',
    })
  }
  const int = (type: 'int64' | 'int32', xs: readonly number[]) => type === 'int32' ? tensor('int32', Int32Array.from(xs), [B, S]) : tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), [B, S])
  const declared = (name: string | undefined) => decoder.session.inputMetadata.find((m) => m.name === name)?.type === 'int32' ? 'int32' : 'int64'
  const feeds: Feeds = { [info.inputs.inputIds]: int(info.idType, ids), ...decoder.emptyCache(B).tensors }
  if (info.inputs.attentionMask) feeds[info.inputs.attentionMask] = int(declared(info.inputs.attentionMask), mask)
  if (info.inputs.positionIds) feeds[info.inputs.positionIds] = int(declared(info.inputs.positionIds), Array.from({ length: B * S }, (_, i) => i % S))
  if (info.inputs.useCacheBranch) feeds[info.inputs.useCacheBranch] = tensor('bool', [0], [1])
  const out = (await decoder.session.run(feeds, [HIDDEN_OUTPUT]))[HIDDEN_OUTPUT]!
  const hidden = out.type === 'float16' ? halfToFloat32Array(out.data as Uint16Array) : (out.data as Float32Array)
  return { hidden, size: hidden.length / (B * S) }
}
