import { join } from 'node:path'
import { rmSync } from 'node:fs'
import { writeFileAtomic } from '../atomic.js'
import type { SafeTensor } from '../safetensors.js'
import { Decoder } from '../runtime/decoder.js'
import { greedyBatch } from '../generate/batch.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { emitLlamaDecoder, llamaConfigFromHf } from '../../kernels/llama/index.js'
import type { LlamaConfig } from './engine.js'
import { llamaConfigToHf } from './hf-folder.js'

/**
 * `--sample-every N`: a short greedy continuation from the current weights, so a run shows what
 * it has learnt (nanoGPT prints samples the same way). The inference graph is emitted from the
 * weights in memory by the same emitter that writes onnx/model.onnx, run from a scratch file.
 */
export async function greedySample(dir: string, config: LlamaConfig, params: Map<string, Float32Array>, shapes: Map<string, number[]>,
  tokenizer: Tokenizer | undefined, prompt: number[], length: number): Promise<string> {
  const weights = new Map<string, SafeTensor>()
  for (const [name, data] of params) weights.set(name, { dtype: 'F32', shape: shapes.get(name)!, data })
  const graph = emitLlamaDecoder(llamaConfigFromHf(llamaConfigToHf(config, {})), weights, { where: dir })
  const file = join(dir, '.cache', 'sample.onnx')
  writeFileAtomic(file, graph.toBytes().model)
  const decoder = await Decoder.open(file, { threads: 1 })
  try {
    const [row] = await greedyBatch(decoder, [prompt], { maxLength: prompt.length + length, padId: 0 })
    const ids = row.slice(prompt.length)
    return tokenizer ? tokenizer.decode(ids) : ids.join(' ')
  } finally {
    await decoder.session.release()
    rmSync(file, { force: true })
  }
}
