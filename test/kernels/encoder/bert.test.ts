/**
 * The BERT emitter + encoder embedder against two independent implementations, on a tiny random
 * BERT: a PyTorch forward written from transformers' modeling_bert.py with sentence-transformers'
 * mean pooling and normalisation (test/fixtures/embed/torch_bert.py, float64, one text at a time,
 * fed ids from the Rust `tokenizers`), and transformers.js' feature-extraction pipeline
 * ({pooling: 'mean', normalize: true}) on the same folder. Vectors must agree within 1e-5.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openEmbedder, type Embedder } from '../../../src/core/embed/index.js'
import { exportBertOnnx } from '../../../src/core/convert/encoder.js'
import { readModel } from '../../../src/kernels/onnx/index.js'
import { readFileSync } from 'node:fs'
import { writeTinyBertTokenizer } from '../../fixtures/embed/tiny-bert.js'
import { needs, PY, repoRoot, shared, SHARED, TORCH } from '../../helpers.js'

const TEXTS = [
  'The cat sat on the mat.',
  'hello world',
  'Dogs running by the river bank!',
  'a',
  'Embedding search is text: the king and the queen of money.',
  'zqx unknownish words, and a dog x5 €',
]

const maxDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]): { d: number; at: string } => {
  let d = 0, at = ''
  a.forEach((row, i) => { for (let j = 0; j < row.length; j++) { const x = Math.abs(row[j]! - b[i]![j]!); if (x > d) { d = x; at = `text ${i} dim ${j}` } } })
  return { d, at }
}

needs(TORCH, SHARED).describe('BERT encoder embeddings', () => {
  let dir = ''
  let ref: { vectors: number[][] }
  let refIds: number[][]
  let emb: Embedder
  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'llm-bert-')), 'tiny-bert')
    const V = writeTinyBertTokenizer(dir)
    const rust = RefTokenizer.fromFile(join(dir, 'tokenizer.json'))
    refIds = []
    for (const t of TEXTS) refIds.push((await rust.encode(t)).getIds())
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/embed/torch_bert.py'), dir, shared('tools'), String(V)], { input: JSON.stringify({ inputs: refIds }), encoding: 'utf8', maxBuffer: 64 << 20 })
    expect(r.status, r.stderr).toBe(0)
    ref = JSON.parse(r.stdout)
    exportBertOnnx(dir)
    emb = await openEmbedder(dir)
  }, 120_000)
  afterAll(async () => {
    await emb?.close()
    if (dir) rmSync(dirname(dir), { recursive: true, force: true })
  })

  it('emits the transformers.js feature-extraction layout', () => {
    const m = readModel(readFileSync(join(dir, 'onnx/model.onnx')))
    expect(m.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids'])
    expect(m.outputs).toEqual([{ name: 'last_hidden_state', dtype: 'float32', dims: ['batch_size', 'sequence_length', 32] }])
    expect(emb.info).toMatchObject({ kind: 'encoder', pooling: 'mean', normalize: true, dim: 32, maxTokens: 64 })
  })

  it('tokenizes as the Rust tokenizers do ([CLS] … [SEP], WordPiece)', () => {
    expect(TEXTS.map((t) => emb.encode(t))).toEqual(refIds)
    expect(refIds[5]).toContain(1) // [UNK] is exercised
  })

  it('pooled, normalised vectors equal PyTorch (modeling_bert.py, float64) within 1e-5, at batch 4 and 1', async () => {
    const batched = await emb.embed(TEXTS, { batchSize: 4 })
    const single = await emb.embed(TEXTS, { batchSize: 1 })
    const a = maxDiff(batched, ref.vectors)
    const b = maxDiff(single, ref.vectors)
    console.log(`BERT vs PyTorch: max |Δ| ${a.d.toExponential(2)} (batch 4), ${b.d.toExponential(2)} (batch 1)`)
    expect(a.d, `max |Δ| vs PyTorch at batch 4: ${a.d} (${a.at})`).toBeLessThan(1e-5)
    expect(b.d, `max |Δ| vs PyTorch at batch 1: ${b.d} (${b.at})`).toBeLessThan(1e-5)
    for (const v of batched) expect(Math.hypot(...v)).toBeCloseTo(1, 6)
    // the vectors differ between texts (a constant output would pass a loose check)
    expect(maxDiff([batched[0]!], [batched[1]!]).d).toBeGreaterThan(0.1)
  })

  it("equal transformers.js' feature-extraction pipeline (mean pooling, normalize) within 1e-5", async () => {
    const tjs = await import('@huggingface/transformers')
    tjs.env.allowRemoteModels = false
    tjs.env.allowLocalModels = true
    tjs.env.localModelPath = dirname(dir) + '/'
    const extractor = await tjs.pipeline('feature-extraction', basename(dir), { local_files_only: true, dtype: 'fp32' })
    const out = await extractor(TEXTS, { pooling: 'mean', normalize: true })
    const theirs = out.tolist() as number[][]
    const ours = await emb.embed(TEXTS)
    const d = maxDiff(ours, theirs)
    console.log(`BERT vs transformers.js: max |Δ| ${d.d.toExponential(2)}`)
    expect(d.d, `max |Δ| vs transformers.js: ${d.d} (${d.at})`).toBeLessThan(1e-5)
    await extractor.dispose()
  })
})
