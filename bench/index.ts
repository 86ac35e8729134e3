/**
 * Index benchmark: indexing throughput (chunks/s) of ../shared/data/instruct/wiki_demo.txt, query
 * latency, and retrieval quality on the 40-question set (test/fixtures/index/wiki_questions.jsonl).
 *
 *   npm run bench:index [-- --reps 5 --embed-model DIR]
 *
 *  1. `llm index add` as a process, BM25-only, on wiki_demo.txt: chunks per second, whole
 *     process (start-up included). With --embed-model DIR, step 4 reports the embedding add's rate.
 *  2. Query latency, in process, median over the 40 questions × reps: our FTS5 BM25 search vs the
 *     same BM25 ranking computed by a brute-force scan of every chunk in JavaScript (what a small
 *     script without an index does); plus vector and hybrid when vectors exist.
 *  3. One query as a user runs it: `llm index search` (whole process) vs `grep -c -i WORD` on the
 *     source file, alternating A B A B, median.
 *  4. recall@1 / recall@5 with the articles as 30 separate documents, per mode (with --embed-model:
 *     bm25, vector and hybrid on an index with vectors, and its chunks/s in process).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { openEmbedder, type Embedder } from '../src/core/embed/index.js'
import { addFiles, queryTerms, RagIndex, search, type SearchMode } from '../src/core/index/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const shared = resolve(root, '../shared')
const arg = (name: string, def: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : def }
const REPS = Number(arg('reps', '5'))
const EMBED = process.argv.includes('--embed-model') ? resolve(arg('embed-model', '')) : undefined
const WIKI = join(shared, 'data/instruct/wiki_demo.txt')
const questions = readFileSync(join(root, 'test/fixtures/index/wiki_questions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { question: string; doc: number })
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const tmp = mkdtempSync(join(tmpdir(), 'llm-bench-index-'))
const cli = (args: string[]) => {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', LLM_HOME: join(tmp, 'home') } })
  if (r.status !== 0) throw new Error(`llm ${args.join(' ')} failed: ${r.stderr}`)
  return { ms: performance.now() - t0, stdout: r.stdout }
}

/** Okapi BM25 as FTS5 documents it (k1 1.2, b 0.75, idf ln((N − n + 0.5) / (n + 0.5))), by a full scan; no stemming, so rankings differ slightly. */
function bruteBm25(texts: string[], query: string, k: number): number[] {
  const terms = queryTerms(query)
  const docs: string[][] = texts.map((t) => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
  const avg = docs.reduce((a, d) => a + d.length, 0) / docs.length
  const df = terms.map((t) => docs.filter((d) => d.includes(t)).length)
  const scores = docs.map((d, i) => {
    let s = 0
    terms.forEach((t, j) => {
      const tf = d.filter((w) => w === t).length
      if (!tf) return
      const idf = Math.log((docs.length - df[j]! + 0.5) / (df[j]! + 0.5))
      s += idf * (tf * 2.2) / (tf + 1.2 * (1 - 0.75 + 0.75 * d.length / avg))
    })
    return { i, s }
  })
  return scores.filter((x) => x.s !== 0).sort((a, b) => b.s - a.s).slice(0, k).map((x) => x.i)
}

async function main(): Promise<void> {
  console.log(`index benchmark: wiki_demo.txt (${(readFileSync(WIKI).length / 1e6).toFixed(2)} MB), ${questions.length} questions, reps ${REPS}${EMBED ? `, embed model ${EMBED}` : ''}`)
  // 1. indexing, whole process
  const add = cli(['index', 'add', '--db', join(tmp, 'bm25.sqlite'), 'b', WIKI, '--json'])
  const nb = JSON.parse(add.stdout).chunks as number
  console.log(`index add (BM25 only): ${nb} chunks in ${(add.ms / 1000).toFixed(2)} s = ${(nb / (add.ms / 1000)).toFixed(0)} chunks/s (whole process)`)
  // 2. in-process query latency
  const idx = RagIndex.open(join(tmp, 'bm25.sqlite'))
  const texts = (idx.db.prepare('select text from chunks order by id').all() as { text: string }[]).map((r) => r.text)
  const ours: number[] = [], brute: number[] = []
  for (let r = 0; r < REPS; r++) {
    for (const q of questions) {
      let t0 = performance.now(); await search(idx, q.question, { k: 5, mode: 'bm25' }); ours.push(performance.now() - t0)
      t0 = performance.now(); bruteBm25(texts, q.question, 5); brute.push(performance.now() - t0)
    }
  }
  idx.close()
  console.log(`BM25 query, in process: FTS5 ${median(ours).toFixed(3)} ms vs brute-force JS scan ${median(brute).toFixed(2)} ms (median; ${(median(brute) / median(ours)).toFixed(0)}x)`)
  // 3. whole process vs grep
  const cliMs: number[] = [], grepMs: number[] = []
  for (let r = 0; r < REPS; r++) {
    cliMs.push(cli(['index', 'search', '--db', join(tmp, 'bm25.sqlite'), 'Gershwin taxi horns', '-k', '5', '--json']).ms)
    const t0 = performance.now(); spawnSync('grep', ['-c', '-i', 'gershwin', WIKI]); grepMs.push(performance.now() - t0)
  }
  console.log(`one search as a process: llm index search ${median(cliMs).toFixed(0)} ms vs grep -c -i ${median(grepMs).toFixed(1)} ms (median of ${REPS}, alternating)`)
  // 4. recall on 30 separate articles
  mkdirSync(join(tmp, 'docs'))
  readFileSync(WIKI, 'utf8').split('\n').filter((l) => l.trim()).forEach((l, i) => writeFileSync(join(tmp, 'docs', `${String(i + 1).padStart(2, '0')}.txt`), l + '\n'))
  const recall = async (file: string, modes: SearchMode[], embedder?: Embedder) => {
    const index = RagIndex.openOrCreate(file)
    const t0 = performance.now()
    await addFiles(index, [join(tmp, 'docs')], { embedder, batchSize: 32 })
    const addS = (performance.now() - t0) / 1000
    for (const mode of modes) {
      let r1 = 0, r5 = 0
      const lat: number[] = []
      for (const q of questions) {
        const t = performance.now()
        const hits = await search(index, q.question, { k: 5, mode, embedder })
        lat.push(performance.now() - t)
        const rank = hits.findIndex((h) => h.source.endsWith(`${String(q.doc).padStart(2, '0')}.txt`))
        if (rank === 0) r1++
        if (rank >= 0) r5++
      }
      console.log(`recall ${mode}: @1 ${(r1 / questions.length).toFixed(3)} @5 ${(r5 / questions.length).toFixed(3)} (query median ${median(lat).toFixed(2)} ms)`)
    }
    const n = index.stats().chunks
    index.close()
    return { n, addS }
  }
  await recall(join(tmp, 'r-bm25.sqlite'), ['bm25'])
  if (EMBED) {
    const emb = await openEmbedder(EMBED)
    const { n, addS } = await recall(join(tmp, 'r-vec.sqlite'), ['bm25', 'vector', 'hybrid'], emb)
    console.log(`(${n} chunks embedded in process in ${addS.toFixed(1)} s = ${(n / addS).toFixed(1)} chunks/s)`)
    await emb.close()
  }
  rmSync(tmp, { recursive: true, force: true })
}

await main()
