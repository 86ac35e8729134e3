/**
 * Loads one PyTorch reference step from test/fixtures/torch/<name> (written by
 * scripts/torch-fixtures.sh via shared/tools/torch_reference.py).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { readSafetensors, tensorToFloat32 } from '../../../src/core/safetensors.js'
import type { AdamWConfig } from '../../../src/kernels/train/index.js'
import { readModelConfig, type ModelConfig } from '../../../src/kernels/model/index.js'
import { repoRoot } from '../../helpers.js'

export interface TorchFixture {
  dir: string
  config: ModelConfig
  adamw: AdamWConfig
  lr: number
  batchSize: number
  seqLen: number
  inputIds: Int32Array
  targets: Int32Array
  model: Map<string, Float32Array>
  grads: Map<string, Float32Array>
  after: Map<string, Float32Array>
  expected: { loss: number; grad_norm: number; loss_after_step: number; grad_norms: Record<string, number> }
}

export const fixtureDir = (name: string): string => resolve(repoRoot, 'test/fixtures/torch', name)

function tensors(file: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>()
  for (const [name, t] of readSafetensors(file).tensors) out.set(name, tensorToFloat32(t, name))
  return out
}

export function loadTorchFixture(name: string): TorchFixture {
  const dir = fixtureDir(name)
  const json = (f: string) => JSON.parse(readFileSync(resolve(dir, f), 'utf8'))
  const c = json('config.json')
  const e = json('expected.json')
  const batch = json('batch.json') as { input_ids: number[][]; targets: number[][] }
  const config = readModelConfig(c, resolve(dir, 'config.json'))
  const o = e.optimizer
  return {
    dir, config, lr: o.lr,
    adamw: { beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay, gradClip: o.grad_clip },
    batchSize: batch.input_ids.length, seqLen: batch.input_ids[0].length,
    inputIds: Int32Array.from(batch.input_ids.flat()), targets: Int32Array.from(batch.targets.flat()),
    model: tensors(resolve(dir, 'model.safetensors')),
    grads: tensors(resolve(dir, 'grads.safetensors')),
    after: tensors(resolve(dir, 'after_step.safetensors')),
    expected: e,
  }
}

/** ‖a − b‖ / ‖b‖ in float64 (0 when both are zero) */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0
  let den = 0
  for (let i = 0; i < b.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2 }
  return den === 0 ? (num === 0 ? 0 : Infinity) : Math.sqrt(num / den)
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12)
}
