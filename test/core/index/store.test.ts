/**
 * The index store end to end in one process: onnxruntime (the tiny BERT embedder) and sqlite-vec
 * loaded together, files added / skipped / replaced, the three search modes (vector results
 * checked against a brute-force cosine ranking), and one-line errors for bad indexes.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import * as sqliteVec from 'sqlite-vec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dot, openEmbedder, type Embedder } from '../../../src/core/embed/index.js'
import { indexAdd, indexInfo, indexSearch, RagIndex, rrf, search } from '../../../src/core/index/index.js'
import { LlmError } from '../../../src/core/errors.js'
import { writeRandomTinyBert } from '../../fixtures/embed/tiny-bert.js'

let root = ''
let bert = ''
let docs = ''
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'llm-index-'))
  bert = writeRandomTinyBert(join(root, 'bert'))
  docs = join(root, 'docs')
  mkdirSync(join(docs, 'sub'), { recursive: true })
  writeFileSync(join(docs, 'cats.txt'), 'The cat sat on the mat.\n\nA cat is a small animal that hunts mice.\n')
  writeFileSync(join(docs, 'sub', 'river.md'), '# Rivers\n\nThe river runs to the sea.\nBanks of a river hold money? No: water.\n')
  writeFileSync(join(docs, 'kings.jsonl'), '{"text": "The king and the queen ruled the land."}\n{"text": "A dog is a loyal friend."}\n')
  writeFileSync(join(docs, 'ignored.csv'), 'a,b\n')
})
afterAll(() => { if (root) rmSync(root, { recursive: true, force: true }) })

const db = (name: string) => join(root, `${name}.sqlite`)
const counts = (file: string) => {
  const idx = RagIndex.open(file)
  try {
    const q = (sql: string) => (idx.db.prepare(sql).get() as { n: number }).n
    return { chunks: q('select count(*) n from chunks'), fts: q('select count(*) n from chunks_fts'), vec: idx.hasVectors ? q('select count(*) n from chunks_vec') : 0, files: q('select count(*) n from files') }
  } finally { idx.close() }
}

describe('index store', () => {
  it('sqlite-vec and onnxruntime-node work in one process; vec0 takes rowids only as BigInt (sqlite-vec #270)', async () => {
    const emb = await openEmbedder(bert) // onnxruntime-node is loaded and has run a session
    const [v] = await emb.embed(['the cat'])
    const d = new Database(':memory:')
    sqliteVec.load(d)
    d.exec(`create virtual table v using vec0(e float[${v!.length}])`)
    const ins = d.prepare('insert into v(rowid, e) values (?, ?)')
    expect(() => ins.run(1, Buffer.from(v!.buffer))).toThrow(/integer/i)
    ins.run(1n, Buffer.from(v!.buffer))
    expect(d.prepare('select rowid, distance from v where e match ? and k = 1').all(Buffer.from(v!.buffer))).toEqual([{ rowid: 1, distance: 0 }])
    d.close()
    await emb.close()
  })

  it('adds folders recursively (txt, md, jsonl), skips unchanged files, replaces changed ones', async () => {
    const ref = { db: db('bm25') }
    const first = await indexAdd(ref, [docs])
    expect(first).toMatchObject({ files: 3, added: 3, replaced: 0, unchanged: 0 })
    expect(first.meta).toMatchObject({ counter: 'words', chunkTokens: 200 })
    const again = await indexAdd(ref, [docs])
    expect(again).toMatchObject({ added: 0, replaced: 0, unchanged: 3, chunks: 0 })
    appendFileSync(join(docs, 'cats.txt'), '\nCats purr when content.\n')
    const changed = await indexAdd(ref, [docs])
    expect(changed).toMatchObject({ added: 0, replaced: 1, unchanged: 2 })
    const c = counts(ref.db)
    expect(c).toEqual({ chunks: c.fts, fts: c.chunks, vec: 0, files: 3 })
    const { hits } = await indexSearch(ref, 'purr')
    expect(hits.map((h) => h.source)).toEqual([join(docs, 'cats.txt')])
    // the old version's chunks are gone from the FTS table too
    const idx = RagIndex.open(ref.db)
    expect((idx.db.prepare("select count(*) n from chunks_fts where chunks_fts match 'mice'").get() as { n: number }).n).toBe(1)
    idx.close()
    // JSONL: one document per line, its line number as the range
    const dog = (await indexSearch(ref, 'loyal dog')).hits[0]!
    expect([dog.source, dog.lines, dog.text]).toEqual([join(docs, 'kings.jsonl'), [2, 2], 'A dog is a loyal friend.'])
  })

  it('BM25 drops function words; a query of none of the indexed content words finds nothing', async () => {
    const ref = { db: db('bm25') }
    expect((await indexSearch(ref, 'what is the')).hits.length).toBeGreaterThan(0) // only stopwords: they are kept
    expect((await indexSearch(ref, 'what is a zebra?')).hits).toEqual([])
    expect((await indexSearch(ref, 'NEAR(zebra* OR "unicorn")')).hits).toEqual([]) // FTS5 syntax is quoted, not parsed
    await expect(indexSearch(ref, 'cat', { mode: 'vector' })).rejects.toThrow(/needs vectors/)
  })

  it('with an embedding model: vectors for every chunk, vector search equals a brute-force cosine ranking, hybrid is RRF of both', async () => {
    const ref = { db: db('vec') }
    const r = await indexAdd(ref, [docs], { embedModel: bert })
    expect(r.meta).toMatchObject({ counter: 'model', embedKind: 'encoder', pooling: 'mean', dim: 16, embedModel: bert })
    const c = counts(ref.db)
    expect(c.vec).toBe(c.chunks)
    const idx = RagIndex.open(ref.db)
    const emb: Embedder = await openEmbedder(bert)
    try {
      const rows = idx.db.prepare('select c.id, c.text from chunks c').all() as { id: number; text: string }[]
      const vecs = await emb.embed(rows.map((x) => x.text))
      const [q] = await emb.embed(['river banks'])
      const brute = rows.map((x, i) => ({ text: x.text, sim: dot(q!, vecs[i]!) })).sort((a, b) => b.sim - a.sim)
      const hits = await search(idx, 'river banks', { mode: 'vector', k: rows.length, embedder: emb })
      expect(hits.map((h) => h.text)).toEqual(brute.map((b) => b.text))
      hits.forEach((h, i) => expect(h.similarity!).toBeCloseTo(brute[i]!.sim, 5))
      const lexical = await search(idx, 'river banks', { mode: 'bm25', k: 50, embedder: emb })
      const hybrid = await search(idx, 'river banks', { k: 3, embedder: emb })
      const fused = rrf([lexical.map((h) => h.text), hits.map((h) => h.text)].map((l) => l.map((t) => rows.find((x) => x.text === t)!.id)))
      expect(hybrid.map((h) => h.text)).toEqual(fused.slice(0, 3).map((f) => rows.find((x) => x.id === f.id)!.text))
    } finally {
      await emb.close()
      idx.close()
    }
    expect(indexInfo(ref).meta?.embedModel).toBe(bert)
    await expect(indexAdd(ref, [docs], { embedModel: join(root, 'docs') })).rejects.toThrow(/would mix vectors/)
  })

  it('rrf: Σ 1/(60 + rank), ties by id', () => {
    const r = rrf([[1, 2, 3], [3, 1]])
    expect(r.map((x) => x.id)).toEqual([1, 3, 2])
    expect(r[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 15)
  })

  it('bad indexes fail on one line naming the file', async () => {
    const oneLine = async (p: Promise<unknown>) => {
      const err = await p.then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(LlmError)
      const line = (err as LlmError).oneLine()
      expect(line).not.toContain('\n')
      return line
    }
    const home = { LLM_HOME: join(root, 'home') }
    expect(await oneLine(indexSearch({ name: 'nope', env: home }, 'x'))).toMatch(/index 'nope' not found.*llm index list/)
    const corrupt = join(root, 'corrupt.sqlite')
    writeFileSync(corrupt, Buffer.alloc(4096, 0x5a))
    expect(await oneLine(indexSearch({ db: corrupt }, 'x'))).toMatch(/corrupt\.sqlite: .*not a database.*hint: the file is damaged/)
    const other = join(root, 'other.sqlite')
    const d = new Database(other); d.exec('create table t(x)'); d.close()
    expect(await oneLine(indexSearch({ db: other }, 'x'))).toMatch(/not an llm index/)
  })
})
