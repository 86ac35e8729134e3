/**
 * Packing: several samples in one row, positions restarting and attention block-diagonal, must
 * compute exactly what the samples compute alone. The loss and every gradient of a packed batch
 * equal those of the same samples one per row (padded), on a GQA model.
 */
import { describe, expect, it } from 'vitest'
import { layRows } from '../../../../src/core/train/finetune/rows.js'
import type { Encoded } from '../../../../src/core/train/finetune/encode.js'
import { initParams, newLlamaConfigJson, readModelConfig } from '../../../../src/kernels/model/index.js'
import { TrainSession } from '../../../../src/kernels/train/index.js'

const config = readModelConfig(newLlamaConfigJson({ vocabSize: 50, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 32, tieWordEmbeddings: false }))
const adamw = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClip: 0 }
const sample = (n: number, seed: number, prompt: number): Encoded => {
  const ids = Array.from({ length: n }, (_, i) => (seed * 7 + i * 13) % 50)
  return { where: `s${seed}`, ids, labels: ids.map((id, i) => (i < prompt ? -100 : id)) }
}

describe('packed rows compute what the samples compute alone', () => {
  it('loss and every gradient: three samples packed in one row = one sample per padded row', async () => {
    const samples = [sample(5, 1, 2), sample(7, 2, 3), sample(9, 3, 1)]
    // weights large enough that attention and positions move the loss (init's 0.02 barely does)
    const params = new Map([...initParams(config, 4)].map(([n, w]) => [n, n.endsWith('norm.weight') ? w : w.map((x) => x * 15)]))
    const packed = await TrainSession.create({ config, adamw, batchSize: 1, seqLen: 24, packed: true, threads: 1 })
    const alone = await TrainSession.create({ config, adamw, batchSize: 3, seqLen: 9, threads: 1 })
    try {
      packed.setState(params)
      alone.setState(params)
      const p = await packed.gradients(layRows([samples], 24, 0, true))
      const a = await alone.gradients(layRows(samples.map((s) => [s]), 9, 0, false))
      expect(Math.abs(p.loss - a.loss), `loss ${p.loss} vs ${a.loss}`).toBeLessThan(1e-6)
      let worst = 0, where = ''
      for (const [name, g] of a.grads) {
        const q = p.grads.get(name)!
        let num = 0, den = 0
        for (let i = 0; i < g.length; i++) { num += (q[i] - g[i]) ** 2; den += g[i] ** 2 }
        const e = Math.sqrt(num / Math.max(den, 1e-30))
        if (e > worst) { worst = e; where = name }
      }
      expect(worst, `largest relative gradient difference at ${where}`).toBeLessThan(1e-5)
      // and the mask matters: without segments the packed samples would see each other
      const leaky = await TrainSession.create({ config, adamw, batchSize: 1, seqLen: 24, threads: 1 })
      leaky.setState(params)
      const batch = layRows([samples], 24, 0, true)
      const l = await leaky.evalLoss({ inputIds: batch.inputIds, targets: batch.targets })
      expect(Math.abs(l - a.loss), `leaky ${l} vs ${a.loss}`).toBeGreaterThan(1e-2)
      await leaky.release()
    } finally {
      await packed.release()
      await alone.release()
    }
  })
})
