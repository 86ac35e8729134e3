/**
 * Retrieval quality on a labelled set of our own: the 30 Wikipedia articles of
 * ../shared/data/instruct/wiki_demo.txt as 30 documents, and 40 hand-written questions
 * (test/fixtures/index/wiki_questions.jsonl), each answered in one article (its `answer` string
 * occurs in it). Reports recall@1 and recall@5 (the right document among the top 1 / 5 chunks'
 * sources) for BM25 alone and for hybrid search with the bundled model's decoder embeddings.
 *
 * The bundled model is a character-level Shakespeare decoder: its pooled states carry spelling and
 * style, not meaning (vector search alone finds the right article first for few questions), so
 * RRF with its ranking costs BM25 some first places; the assertion for hybrid is recall@5 and a
 * floor on recall@1 that catches a broken fusion, not "nearly all first". Embedding 1 MB with it
 * takes minutes, so the hybrid case uses each article's first 3,000 characters (and the questions
 * answered there); `npm run bench:index` measures the whole set.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openEmbedder } from '../../../src/core/embed/index.js'
import { addFiles, indexAdd, RagIndex, search, type SearchMode } from '../../../src/core/index/index.js'
import { needs, repoRoot, shared, sharedFile } from '../../helpers.js'

interface Q { question: string; doc: number; answer: string }
const questions: Q[] = readFileSync(join(repoRoot, 'test/fixtures/index/wiki_questions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))

needs(sharedFile('data/instruct/wiki_demo.txt')).describe('retrieval on wiki_demo (30 articles, 40 questions)', () => {
  let root = ''
  const docPath = (n: number) => join(root, 'docs', `${String(n).padStart(2, '0')}.txt`)
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'llm-retrieval-'))
    mkdirSync(join(root, 'docs'))
    const lines = readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8').split('\n').filter((l) => l.trim())
    expect(lines.length).toBe(30)
    lines.forEach((l, i) => writeFileSync(docPath(i + 1), l + '\n'))
  })
  afterAll(() => { if (root) rmSync(root, { recursive: true, force: true }) })

  const recall = async (index: RagIndex, mode: SearchMode, embedder?: Awaited<ReturnType<typeof openEmbedder>>, qs = questions, path = docPath) => {
    let at1 = 0, at5 = 0
    const misses: string[] = []
    for (const q of qs) {
      const hits = await search(index, q.question, { k: 5, mode, embedder })
      const rank = hits.findIndex((h) => h.source === path(q.doc))
      if (rank === 0) at1++
      else misses.push(`${q.question} → ${hits[0]?.source.slice(-6) ?? 'nothing'}`)
      if (rank >= 0) at5++
    }
    return { r1: at1 / qs.length, r5: at5 / qs.length, misses }
  }

  it('BM25 alone: the right document first for nearly all questions', async () => {
    await indexAdd({ db: join(root, 'bm25.sqlite') }, [join(root, 'docs')])
    const index = RagIndex.open(join(root, 'bm25.sqlite'))
    const r = await recall(index, 'bm25')
    index.close()
    console.log(`BM25: recall@1 ${r.r1.toFixed(3)} recall@5 ${r.r5.toFixed(3)} (${questions.length} questions)${r.misses.length ? `; not first: ${r.misses.join(' | ')}` : ''}`)
    expect(r.r1).toBeGreaterThanOrEqual(0.9)
    expect(r.r5).toBeGreaterThanOrEqual(0.95)
  })

  it('hybrid (BM25 + bundled decoder embeddings, RRF) on the articles\' first 3,000 characters', async () => {
    const embedder = await openEmbedder(join(repoRoot, 'models/default'))
    mkdirSync(join(root, 'short'))
    const lines = readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8').split('\n').filter((l) => l.trim())
    lines.forEach((l, i) => writeFileSync(join(root, 'short', `${String(i + 1).padStart(2, '0')}.txt`), l.slice(0, 3000) + '\n'))
    const answered = questions.filter((q) => lines[q.doc - 1]!.slice(0, 3000).toLowerCase().includes(q.answer.toLowerCase()))
    const index = RagIndex.openOrCreate(join(root, 'hybrid.sqlite'))
    try {
      await addFiles(index, [join(root, 'short')], { embedder, batchSize: 32 })
      const r = async (mode: SearchMode) => recall(index, mode, embedder, answered, (n) => join(root, 'short', `${String(n).padStart(2, '0')}.txt`))
      const [b, h, v] = [await r('bm25'), await r('hybrid'), await r('vector')]
      console.log(`first 3,000 chars, ${answered.length} questions: BM25 recall@1 ${b.r1.toFixed(3)} @5 ${b.r5.toFixed(3)}; hybrid @1 ${h.r1.toFixed(3)} @5 ${h.r5.toFixed(3)}; vector alone @1 ${v.r1.toFixed(3)} @5 ${v.r5.toFixed(3)}`)
      expect(answered.length).toBeGreaterThanOrEqual(20)
      expect(b.r1).toBeGreaterThanOrEqual(0.9)
      expect(h.r5).toBeGreaterThanOrEqual(0.9)
      expect(h.r1).toBeGreaterThanOrEqual(0.5)
      // the fusion does use the BM25 ranking: it beats vector search alone
      expect(h.r1).toBeGreaterThan(v.r1)
    } finally {
      index.close()
      await embedder.close()
    }
  }, 200_000)
})
