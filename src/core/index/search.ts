/**
 * Retrieval over an index: BM25 (SQLite FTS5's bm25(), Robertson/Spärck Jones with k1 = 1.2,
 * b = 0.75, over porter-stemmed unicode61 tokens), vector k-nearest-neighbours (sqlite-vec,
 * cosine distance on unit vectors), and hybrid: reciprocal rank fusion (Cormack, Clarke & Büttcher
 * 2009) of the two rankings, score = Σ 1 / (60 + rank), each ranking cut at max(50, 4k).
 *
 * A BM25 query is the question's words OR-ed together, each quoted (so FTS5 syntax in the text is
 * never interpreted); function words (stopwords.ts) are dropped when any other word remains.
 */
import { LlmError, usageError } from '../errors.js'
import type { Embedder } from '../embed/types.js'
import { dbError, vecBlob } from './sqlite.js'
import { STOPWORDS } from './stopwords.js'
import type { RagIndex } from './store.js'

export const SEARCH_MODES = ['hybrid', 'bm25', 'vector'] as const
export type SearchMode = (typeof SEARCH_MODES)[number]
export const RRF_K = 60

export interface SearchHit {
  /** the source file */
  source: string
  /** [first, last] line of the chunk in the source, 1-based */
  lines: [number, number]
  /** the chunk's position in its file (0-based) */
  chunk: number
  /** the mode's score: -bm25 (higher is better), cosine similarity, or the RRF sum */
  score: number
  text: string
  /** BM25 score when the chunk matched the query's words */
  bm25?: number
  /** cosine similarity to the query when vectors were searched */
  similarity?: number
}

/** sqlite-vec's KNN limit (k ≤ 4096), applied to every mode so -k means the same everywhere */
export const MAX_K = 4096

export interface SearchOptions {
  k?: number
  mode?: SearchMode
  /** needed for vector and hybrid modes: the index's embedding model */
  embedder?: Embedder
}

/** Query words for FTS5: lower-cased letter/digit runs, stopwords dropped if anything else is left. */
export function queryTerms(query: string): string[] {
  const all = (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
  const content = all.filter((w) => !STOPWORDS.has(w))
  return [...new Set(content.length ? content : all)]
}

/** The FTS5 MATCH expression for a query ('' when it has no words). */
export function ftsQuery(query: string): string {
  return queryTerms(query).map((t) => `"${t}"`).join(' OR ')
}

/** The mode a search runs in: the one asked for, else hybrid when the index has vectors, else BM25. */
export function searchMode(index: RagIndex, mode?: SearchMode): SearchMode {
  if (mode === undefined) return index.hasVectors ? 'hybrid' : 'bm25'
  if (mode !== 'bm25' && !index.hasVectors) {
    throw usageError(`--mode ${mode} needs vectors, and this index was built without an embedding model`, { where: '--mode', hint: 'use --mode bm25, or build the index with --embed-model' })
  }
  return mode
}

export async function search(index: RagIndex, query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
  const k = opts.k ?? 5
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw usageError(`k must be an integer from 1 to ${MAX_K}, got ${k}`, { where: '-k' })
  const mode = searchMode(index, opts.mode)
  if (index.meta === undefined) return []
  const depth = mode === 'hybrid' ? Math.min(MAX_K, Math.max(50, 4 * k)) : k
  try {
    const lexical = mode === 'vector' ? [] : bm25(index, query, depth)
    let semantic: { id: number; similarity: number }[] = []
    if (mode !== 'bm25') {
      if (!opts.embedder) throw new LlmError('vector search needs the index\'s embedding model', { where: index.file })
      const [q] = await opts.embedder.embed([query])
      semantic = knn(index, q!, depth)
    }
    const bm = new Map(lexical.map((h) => [h.id, h.score]))
    const sim = new Map(semantic.map((h) => [h.id, h.similarity]))
    let ranked: { id: number; score: number }[]
    if (mode === 'bm25') ranked = lexical
    else if (mode === 'vector') ranked = semantic.map((h) => ({ id: h.id, score: h.similarity }))
    else ranked = rrf([lexical.map((h) => h.id), semantic.map((h) => h.id)])
    return ranked.slice(0, k).map((r) => ({ ...chunkRow(index, r.id), score: r.score, bm25: bm.get(r.id), similarity: sim.get(r.id) }))
  } catch (err) {
    throw dbError(index.file, err, 'search failed')
  }
}

function bm25(index: RagIndex, query: string, n: number): { id: number; score: number }[] {
  const match = ftsQuery(query)
  if (!match) return []
  const rows = index.db.prepare('select rowid id, bm25(chunks_fts) s from chunks_fts where chunks_fts match ? order by s limit ?').all(match, n) as { id: number; s: number }[]
  return rows.map((r) => ({ id: r.id, score: -r.s }))
}

function knn(index: RagIndex, q: Float32Array, n: number): { id: number; similarity: number }[] {
  const rows = index.db.prepare('select rowid id, distance from chunks_vec where embedding match ? and k = ?').all(vecBlob(q), BigInt(n)) as { id: number; distance: number }[]
  return rows.map((r) => ({ id: Number(r.id), similarity: 1 - r.distance }))
}

/** Reciprocal rank fusion of rankings (ids best first): Σ 1 / (RRF_K + rank), rank from 1; ties by id. */
export function rrf(rankings: readonly (readonly number[])[]): { id: number; score: number }[] {
  const score = new Map<number, number>()
  for (const ranking of rankings) ranking.forEach((id, i) => score.set(id, (score.get(id) ?? 0) + 1 / (RRF_K + i + 1)))
  return [...score].map(([id, s]) => ({ id, score: s })).sort((a, b) => b.score - a.score || a.id - b.id)
}

function chunkRow(index: RagIndex, id: number): Omit<SearchHit, 'score'> {
  const r = index.db.prepare('select f.path source, c.line_start a, c.line_end b, c.ord chunk, c.text text from chunks c join files f on f.id = c.file_id where c.id = ?').get(id) as
    { source: string; a: number; b: number; chunk: number; text: string } | undefined
  if (!r) throw new LlmError(`chunk ${id} is in the search tables but not in chunks`, { where: index.file, hint: 'the index is inconsistent: rebuild it' })
  return { source: r.source, lines: [r.a, r.b], chunk: r.chunk, text: r.text }
}
