/**
 * Decoder embeddings (mean and last-token pooling of the final hidden state) against PyTorch:
 * the bundled model's weights through torch_reference.forward with an identity head
 * (test/fixtures/embed/torch_decoder_pool.py, float64, one text at a time). Our side runs the
 * graph with the `last_hidden_state` output (test stand-in for the lead's emitter), batched and
 * right-padded; vectors must agree within 1e-5.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openEmbedder, pool, type Embedder } from '../../../src/core/embed/index.js'
import { needs, PY, repoRoot, shared, SHARED, TORCH } from '../../helpers.js'

const TEXTS = ['ROMEO:\nWhat light through yonder window breaks?', 'To be, or not to be', 'a', 'KING HENRY:\nOnce more unto the breach, dear friends, once more;']

describe('pool', () => {
  it('mean over the mask, cls, last real position', () => {
    // B=1, S=3, C=2, the third position is padding
    const h = [1, 2, 3, 4, 100, 100]
    expect(Array.from(pool(h, [1, 1, 0], 1, 3, 2, 'mean')[0]!)).toEqual([2, 3])
    expect(Array.from(pool(h, [1, 1, 0], 1, 3, 2, 'last')[0]!)).toEqual([3, 4])
    expect(Array.from(pool(h, [1, 1, 0], 1, 3, 2, 'cls')[0]!)).toEqual([1, 2])
  })
})

needs(TORCH, SHARED).describe('decoder embeddings (bundled model)', () => {
  let dir = ''
  let mean: Embedder
  let last: Embedder
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-dec-embed-'))
    mean = await openEmbedder(join(repoRoot, 'models/default'))
    last = await openEmbedder(join(repoRoot, 'models/default'), { pooling: 'last' })
  })
  afterAll(async () => {
    await mean?.close()
    await last?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('mean and last-token pooled, normalised vectors equal PyTorch within 1e-5 (batched, right-padded)', async () => {
    const ids = TEXTS.map((t) => mean.encode(t))
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/embed/torch_decoder_pool.py'), join(repoRoot, 'models/default'), shared('tools')], { input: JSON.stringify({ inputs: ids }), encoding: 'utf8', maxBuffer: 64 << 20 })
    expect(r.status, r.stderr).toBe(0)
    const ref = JSON.parse(r.stdout) as { mean: number[][]; last: number[][] }
    for (const [emb, want] of [[mean, ref.mean], [last, ref.last]] as const) {
      const got = await emb.embed(TEXTS, { batchSize: 4 })
      let d = 0
      got.forEach((v, i) => v.forEach((x, j) => { d = Math.max(d, Math.abs(x - want[i]![j]!)) }))
      console.log(`decoder ${emb.info.pooling} pooling vs PyTorch: max |Δ| ${d.toExponential(2)}`)
      expect(d, `${emb.info.pooling}: max |Δ| vs PyTorch ${d}`).toBeLessThan(1e-5)
    }
    expect(mean.info).toMatchObject({ kind: 'decoder', pooling: 'mean', dim: 128, maxTokens: 256 })
  })

  it('a decoder graph without last_hidden_state (not emitted by llm) is refused on one line', async () => {
    // stories260K's independent ONNX rendering, with the tokenizer named so the folder loads
    const d = join(dir, 'no-hidden')
    mkdirSync(d, { recursive: true })
    for (const f of ['model.onnx', 'tok512.model']) copyFileSync(shared('models/stories260K-onnx', f), join(d, f === 'tok512.model' ? 'tokenizer.model' : f))
    await expect(openEmbedder(d)).rejects.toThrow(/no 'last_hidden_state' output/)
  })
})
