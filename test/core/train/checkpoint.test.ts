import { describe, it, expect } from 'vitest'
import { existsSync, mkdtempSync, renameSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, STATE_FORMAT, STATE_VERSION, type RunState } from '../../../src/core/train/checkpoint.js'
import { initParams, newLlamaConfigJson, paramSpecs, readModelConfig } from '../../../src/kernels/model/index.js'
import { exportOnnx } from '../../../src/core/convert/onnx.js'
import { linkInto } from '../../../src/core/train/checkpoint.js'
import { writeFileSync } from 'node:fs'
import { resolveOptions } from '../../../src/core/train/options.js'
import { readSafetensors } from '../../../src/core/safetensors.js'

const configJson = newLlamaConfigJson({ vocabSize: 20, hiddenSize: 8, intermediateSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 1, maxPositionEmbeddings: 8, tieWordEmbeddings: true })
const config = readModelConfig(configJson)
const shapes = new Map(paramSpecs(config).map((s) => [s.name, s.shape]))

/** what pretrain writes beside checkpoint/: config, the weights (linked), the graph */
function writeOutputs(dir: string, weightsFile: string) {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson))
  linkInto(weightsFile, join(dir, 'model.safetensors'))
  exportOnnx(dir)
}

function save(dir: string, step: number) {
  const params = initParams(config, step)
  const m = new Map([...params].map(([n, a]) => [n, a.map((x) => x * 0.5)]))
  const v = new Map([...params].map(([n, a]) => [n, a.map((x) => x * x)]))
  const state: RunState = { format: STATE_FORMAT, version: STATE_VERSION, kind: 'pretrain', step, sampler: { rng: 123 + step, microBatch: step }, options: resolveOptions({}, { data: ['d'], out: dir }),
    dataHash: 'h', wallSeconds: step }
  const metricsLines = Array.from({ length: step }, (_, i) => JSON.stringify({ step: i + 1, loss: 1 }))
  saveCheckpoint(dir, { state, params, optimizer: { m, v, step } }, shapes, metricsLines, writeOutputs)
  return params
}

describe('checkpoints', () => {
  it('round-trip: weights, moments, step, sampler; model.safetensors is the checkpoint weights; no temp files left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-ckpt-'))
    save(dir, 3)
    const params = save(dir, 5)
    const ck = loadCheckpoint(dir)
    expect(ck.state.step).toBe(5)
    expect(ck.state.sampler).toEqual({ rng: 128, microBatch: 5 })
    expect(ck.optimizer.step).toBe(5)
    for (const [n, a] of params) {
      expect(Buffer.from(ck.params.get(n)!.buffer).equals(Buffer.from(a.buffer))).toBe(true)
      expect(Array.from(ck.optimizer.m.get(n)!)).toEqual(Array.from(a.map((x) => x * 0.5)))
    }
    const top = readSafetensors(join(dir, 'model.safetensors'))
    expect(top.metadata).toMatchObject({ format: 'pt', step: '5' })
    expect(statSync(join(dir, 'model.safetensors')).ino).toBe(statSync(join(dir, 'checkpoint', 'model.safetensors')).ino)
    expect(readdirSync(dir).filter((f) => f.includes('tmp') || f.startsWith('.checkpoint'))).toEqual([])
    expect(existsSync(join(dir, 'onnx', 'model.onnx'))).toBe(true)
    expect(ck.metricsLines).toHaveLength(5)
  })
  it('a crash between the two renames of a save leaves .checkpoint-old, which resume uses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-ckpt-'))
    save(dir, 4)
    renameSync(join(dir, 'checkpoint'), join(dir, '.checkpoint-old')) // state right after "rename old aside"
    expect(hasCheckpoint(dir)).toBe(true)
    const ck = loadCheckpoint(dir)
    expect(ck.state.step).toBe(4)
  })
  it('no checkpoint: one clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-ckpt-'))
    expect(hasCheckpoint(dir)).toBe(false)
    expect(() => loadCheckpoint(dir)).toThrow(/no checkpoint to resume from/)
  })
})
