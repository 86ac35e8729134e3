/**
 * A whole training step against PyTorch (shared/tools/torch_reference.py, torch 1.13, float32):
 * loss, global gradient norm, every tensor's gradient, and every tensor's weight change after one
 * clipped AdamW step, for tied+GQA, untied+MHA, strong clipping and adam eps = 1 (update
 * proportional to the gradient). Fixtures: scripts/torch-fixtures.sh.
 */
import { describe, expect, it } from 'vitest'
import { readTokenFile } from '../../../src/core/data/tokens-file.js'
import { TrainSession } from '../../../src/kernels/train/index.js'
import { fixtureDir, loadTorchFixture, relErr, relL2, type TorchFixture } from './torch-fixture.js'

const FIXTURES = ['tied-gqa', 'untied-mha', 'clip', 'large-eps']
const TOL = 1e-4

function worst(rows: { name: string; err: number }[]): string {
  return rows.sort((a, b) => b.err - a.err).slice(0, 5).map((r) => `${r.name}: ${r.err.toExponential(2)}`).join('; ')
}

/** relative L2 error of (after − before) for every tensor, vs PyTorch's */
function changeErrors(f: TorchFixture, after: Map<string, Float32Array>): { name: string; err: number }[] {
  return [...f.model.keys()].map((name) => {
    const before = f.model.get(name)!
    const ours = after.get(name)!.map((x, i) => x - before[i])
    const theirs = f.after.get(name)!.map((x, i) => x - before[i])
    return { name, err: relL2(ours, theirs) }
  })
}

async function session(f: TorchFixture): Promise<TrainSession> {
  const s = await TrainSession.create({ config: f.config, adamw: f.adamw, batchSize: f.batchSize, seqLen: f.seqLen, threads: 1 })
  s.setState(f.model)
  return s
}

describe.each(FIXTURES)('one training step vs PyTorch: %s', (name) => {
  const f = loadTorchFixture(name)

  it('the fixture batch is the sequential windows of tokens.bin', () => {
    const tokens = readTokenFile(`${fixtureDir(name)}/tokens.bin`)
    const T = f.seqLen
    for (let b = 0; b < f.batchSize; b++) {
      for (let j = 0; j < T; j++) {
        expect(f.inputIds[b * T + j]).toBe(tokens[b * T + j])
        expect(f.targets[b * T + j]).toBe(tokens[b * T + j + 1])
      }
    }
  })

  it('loss, gradient norm and every gradient match', async () => {
    const s = await session(f)
    const r = await s.gradients(f)
    await s.release()
    expect(relErr(r.loss, f.expected.loss), `loss ${r.loss} vs ${f.expected.loss}`).toBeLessThan(1e-5)
    expect(relErr(r.gradNorm, f.expected.grad_norm), `grad norm ${r.gradNorm} vs ${f.expected.grad_norm}`).toBeLessThan(TOL)
    const errs = [...f.grads.keys()].map((n) => ({ name: n, err: relL2(r.grads.get(n)!, f.grads.get(n)!) }))
    expect(errs.length).toBe(r.grads.size)
    expect(Math.max(...errs.map((e) => e.err)), `worst gradients: ${worst(errs)}`).toBeLessThan(TOL)
  })

  it('TrainSession.step: loss, grad norm and every weight change match AdamW in PyTorch', async () => {
    const s = await session(f)
    const r = await s.step(f, f.lr)
    const state = s.getState()
    const lossAfter = await s.evalLoss(f)
    await s.release()
    expect(relErr(r.loss, f.expected.loss), `loss ${r.loss} vs ${f.expected.loss}`).toBeLessThan(1e-5)
    expect(relErr(r.gradNorm, f.expected.grad_norm), `grad norm ${r.gradNorm} vs ${f.expected.grad_norm}`).toBeLessThan(TOL)
    expect(state.step).toBe(1)
    const errs = changeErrors(f, state.params)
    expect(errs.length).toBe(f.after.size)
    expect(Math.max(...errs.map((e) => e.err)), `worst weight changes: ${worst(errs)}`).toBeLessThan(TOL)
    expect(relErr(lossAfter, f.expected.loss_after_step), `loss after ${lossAfter} vs ${f.expected.loss_after_step}`).toBeLessThan(1e-5)
  })

  it('gradient accumulation: two micro-batches of the same batch give the same update', async () => {
    const s = await session(f)
    const first = await s.step(f, f.lr, { accumulate: true })
    expect(s.getState().step).toBe(0)
    const last = await s.step(f, f.lr)
    const state = s.getState()
    await s.release()
    expect(relErr(first.loss, f.expected.loss)).toBeLessThan(1e-5)
    expect(relErr(last.gradNorm, f.expected.grad_norm)).toBeLessThan(TOL)
    const errs = changeErrors(f, state.params)
    expect(Math.max(...errs.map((e) => e.err)), `worst weight changes: ${worst(errs)}`).toBeLessThan(TOL)
  })
})
