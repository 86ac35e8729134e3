import type { SafeTensor } from '../safetensors.js'
import { Decoder } from '../runtime/decoder.js'
import { greedyBatch } from '../generate/batch.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { paramSpecs, type ModelConfig } from '../../kernels/model/index.js'
import { graphBytes } from '../convert/onnx.js'

/**
 * `--sample-every N`: a short greedy continuation from the current weights, so a run shows what
 * it has learnt (nanoGPT prints samples the same way). The inference graph is emitted from the
 * weights in memory by the same emitter that writes onnx/model.onnx.
 */
export async function greedySample(config: ModelConfig, params: Map<string, Float32Array>, tokenizer: Tokenizer | undefined, prompt: number[], length: number): Promise<string> {
  const weights = new Map<string, SafeTensor>()
  for (const s of paramSpecs(config)) weights.set(s.name, { dtype: 'F32', shape: s.shape, data: params.get(s.name)! })
  const decoder = await Decoder.open(graphBytes(config, weights, 'training weights'), { threads: 1 })
  try {
    const [row] = await greedyBatch(decoder, [prompt], { maxLength: prompt.length + length, padId: 0 })
    const ids = row.slice(prompt.length)
    return tokenizer ? tokenizer.decode(ids) : ids.join(' ')
  } finally {
    await decoder.release()
  }
}
