import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Graph } from '../../../src/kernels/onnx/index.js'
import { Decoder } from '../../../src/core/runtime/decoder.js'
import { readModelFolder } from '../../../src/core/model/folder.js'
import { tempDir } from '../model/fixtures.js'

/**
 * A synthetic Optimum `decoder_model_merged.onnx` (built with our ONNX graph builder) whose
 * outputs reveal how it was fed: logits = [flag, 1 - flag, P, T] at every position, where flag
 * is the `use_cache_branch` input, P the past length seen in past_key_values.0.key and T the
 * attention-mask length; present.0.* = past ++ the new ids. So the test sees whether the merged
 * branch flag is false on the cache-less first run and true after, and that masks and caches grow.
 */
function mergedDecoder(): string {
  const g = new Graph({ opset: 17 })
  g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length'])
  g.input('use_cache_branch', 'bool', [1])
  g.input('past_key_values.0.key', 'float32', ['batch_size', 1, 'past_sequence_length', 2])
  g.input('past_key_values.0.value', 'float32', ['batch_size', 1, 'past_sequence_length', 2])
  // new kv rows [B,1,S,2] from the ids
  const ids = g.op('Unsqueeze', [g.op('Cast', ['input_ids'], { to: 1 }), g.const('int64', [2], [1, 3])])
  const kv = g.op('Concat', [ids, ids], { axis: -1 })
  for (const part of ['key', 'value']) g.op('Concat', [`past_key_values.0.${part}`, kv], { axis: 2 }, { name: `present.0.${part}` })
  const flag = g.op('Cast', ['use_cache_branch'], { to: 1 }) // [1]
  const notFlag = g.op('Sub', [g.const('float32', [1], [1]), flag])
  const dimAsFloat = (tensor: string, axis: number): string =>
    g.op('Cast', [g.op('Slice', [g.op('Shape', [tensor]), g.const('int64', [1], [axis]), g.const('int64', [1], [axis + 1])])], { to: 1 })
  const row = g.op('Concat', [flag, notFlag, dimAsFloat('past_key_values.0.key', 2), dimAsFloat('attention_mask', 1)], { axis: 0 }) // [4]
  const shape = g.op('Concat', [g.op('Shape', ['input_ids']), g.const('int64', [1], [4])], { axis: 0 })
  g.op('Expand', [row, shape], {}, { name: 'logits' })
  g.output('logits', 'float32', ['batch_size', 'sequence_length', 4])
  g.output('present.0.key', 'float32', ['batch_size', 1, 'total_sequence_length', 2])
  g.output('present.0.value', 'float32', ['batch_size', 1, 'total_sequence_length', 2])
  const dir = tempDir('llm-merged-')
  mkdirSync(join(dir, 'onnx'))
  writeFileSync(join(dir, 'onnx/decoder_model_merged.onnx'), g.toBytes().model)
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', num_key_value_heads: 1, head_dim: 2, vocab_size: 4 }))
  return dir
}

describe('Optimum decoder_model_merged.onnx', () => {
  it('feeds use_cache_branch false on the first run and true with a cache; masks and caches grow', async () => {
    const folder = readModelFolder(mergedDecoder())
    expect(folder.onnxFile).toMatch(/decoder_model_merged\.onnx$/)
    const d = await Decoder.open(folder.onnxFile)
    try {
      expect(d.info.inputs.useCacheBranch).toBe('use_cache_branch')
      expect(d.info.inputs.positionIds).toBeUndefined() // not declared: not fed
      const first = await d.forward({ ids: [5, 6, 7], batch: 1, cache: d.emptyCache(1) })
      expect(Array.from(first.logits)).toEqual([0, 1, 0, 3])
      const second = await d.forward({ ids: [9], batch: 1, cache: first.cache })
      expect(Array.from(second.logits)).toEqual([1, 0, 3, 4])
      expect(Array.from(second.cache.tensors['past_key_values.0.value']!.data as Float32Array)).toEqual([5, 5, 6, 6, 7, 7, 9, 9])
    } finally {
      await d.release()
    }
  })
})
