/**
 * Every family, both emitters, against an independent PyTorch forward written from transformers'
 * modeling_<family>.py (test/fixtures/families/families.py, itself checked against
 * shared/tools/family_reference.py): per-position logits and greedy ids of the inference graph,
 * and one whole training step (loss, gradient norm, every weight after AdamW).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { exportOnnx } from '../../../src/core/convert/onnx.js'
import { Checkpoint } from '../../../src/core/model/checkpoint.js'
import { Decoder } from '../../../src/core/runtime/decoder.js'
import { greedyBatch } from '../../../src/core/generate/batch.js'
import { readSafetensors, tensorToFloat32 } from '../../../src/core/safetensors.js'
import { paramSpecs } from '../../../src/kernels/model/index.js'
import { TrainSession } from '../../../src/kernels/train/index.js'
import { needs, PY, repoRoot, SHARED, shared, TORCH } from '../../helpers.js'
import { relL2 } from '../train/torch-fixture.js'

const CASES = ['llama', 'qwen2', 'mistral', 'phi3', 'gemma', 'mistral-window', 'phi3-partial', 'llama-bias']
const root = mkdtempSync(join(tmpdir(), 'llm-families-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Expected {
  prompt_ids: number[]
  greedy_ids: number[]
  min_top1_gap: number
  step: { input_ids: number[][]; targets: number[][]; lr: number; betas: [number, number]; eps: number; weight_decay: number; grad_clip: number; loss: number; grad_norm: number }
}
const expected = (name: string): Expected => JSON.parse(readFileSync(join(root, `${name}.json`), 'utf8'))

needs(TORCH, SHARED).describe('model families vs PyTorch (transformers modeling files)', () => {
  beforeAll(() => {
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/families/families.py'), root, shared('tools')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  })

  it.each(CASES)('%s: inference graph logits at every prompt position and greedy ids', async (name) => {
    const e = expected(name)
    const dir = join(root, name)
    const { file, config } = exportOnnx(dir)
    const decoder = await Decoder.open(file, { threads: 1 })
    try {
      const T = e.prompt_ids.length
      const out = await decoder.forward({ ids: e.prompt_ids, batch: 1, cache: decoder.emptyCache(1), logits: 'all' })
      const buf = readFileSync(join(root, `${name}.logits.bin`))
      const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
      expect(ref.length).toBe(T * config.vocabSize)
      let worst = 0, at = -1, scale = 0
      for (let i = 0; i < ref.length; i++) {
        scale = Math.max(scale, Math.abs(ref[i]))
        const d = Math.abs(out.logits[i] - ref[i])
        if (!(d <= worst)) { worst = d; at = i }
      }
      expect(worst / scale, `${name}: max |Δlogit| ${worst} (scale ${scale}) at position ${Math.floor(at / config.vocabSize)}`).toBeLessThan(1e-4)
      const [row] = await greedyBatch(decoder, [e.prompt_ids], { maxLength: T + e.greedy_ids.length, padId: 0 })
      expect(row.slice(T), `${name} greedy (smallest top-1 margin ${e.min_top1_gap})`).toEqual(e.greedy_ids)
    } finally {
      await decoder.release()
    }
  })

  it.each(CASES)('%s: one training step equals PyTorch (every gradient, then every weight after AdamW)', async (name) => {
    const e = expected(name).step
    const ck = Checkpoint.open(join(root, name))
    const specs = paramSpecs(ck.config)
    const before = new Map(specs.map((s) => [s.name, ck.float32(s.name)]))
    const [B, T] = [e.input_ids.length, e.input_ids[0].length]
    const s = await TrainSession.create({
      config: ck.config, batchSize: B, seqLen: T, threads: 1,
      adamw: { beta1: e.betas[0], beta2: e.betas[1], eps: e.eps, weightDecay: e.weight_decay, gradClip: e.grad_clip },
    })
    try {
      s.setState(before)
      const batch = { inputIds: Int32Array.from(e.input_ids.flat()), targets: Int32Array.from(e.targets.flat()) }
      // gradients: relative to each tensor's own norm, with a floor of 1e-6 of the global norm for
      // tensors whose gradient is mathematically ~0 (k_proj.bias)
      const g = await s.gradients(batch)
      const torchGrads = readSafetensors(join(root, `${name}.grads.safetensors`)).tensors
      const gradErrs: string[] = []
      for (const sp of specs) {
        const want = tensorToFloat32(torchGrads.get(sp.name)!)
        const mine = g.grads.get(sp.name)!
        let num = 0, den = 0
        for (let i = 0; i < want.length; i++) { num += (mine[i] - want[i]) ** 2; den += want[i] ** 2 }
        if (!(Math.sqrt(num) <= 1e-4 * Math.sqrt(den) + 1e-6 * e.grad_norm)) gradErrs.push(`${sp.name}: ‖Δg‖ ${Math.sqrt(num).toExponential(2)} vs ‖g‖ ${Math.sqrt(den).toExponential(2)}`)
      }
      expect(gradErrs, `${name}: gradients that differ from PyTorch`).toEqual([])
      const r = await s.step(batch, e.lr)
      expect(Math.abs(r.loss - e.loss) / e.loss, `loss ${r.loss} vs ${e.loss}`).toBeLessThan(1e-5)
      expect(Math.abs(r.gradNorm - e.grad_norm) / e.grad_norm, `grad norm ${r.gradNorm} vs ${e.grad_norm}`).toBeLessThan(1e-4)
      const after = readSafetensors(join(root, `${name}.after_step.safetensors`)).tensors
      const got = s.getState().params
      const bad: string[] = []
      for (const sp of specs) {
        const want = tensorToFloat32(after.get(sp.name)!)
        const b = before.get(sp.name)!
        const err = relL2(got.get(sp.name)!.map((x, i) => x - b[i]), want.map((x, i) => x - b[i]))
        if (!(err <= 1e-4)) bad.push(`${sp.name}: rel L2 of the change ${err.toExponential(2)}`)
      }
      expect(bad, `${name}: weights whose update differs from PyTorch`).toEqual([])
    } finally {
      await s.release()
    }
  })
})
