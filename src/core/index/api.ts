/**
 * What the `llm index …` and `llm ask` commands call: open an index by NAME or --db FILE with the
 * embedding model it was built with, add files, search, describe.
 */
import { statSync } from 'node:fs'
import { basename } from 'node:path'
import { usageError } from '../errors.js'
import { resolveModel } from '../model/resolve.js'
import type { Embedder } from '../embed/types.js'
import type { SessionOptions } from '../runtime/ort.js'
import { addFiles, type AddOptions, type AddResult } from './add.js'
import { search, searchMode, type SearchHit, type SearchMode } from './search.js'
import { indexFile, listIndexes, RagIndex, removeIndex, type IndexMeta } from './store.js'

export interface IndexRef {
  name?: string
  db?: string
  env?: NodeJS.ProcessEnv
}

const label = (ref: IndexRef): string => ref.name ?? (ref.db ? basename(ref.db) : '?')

export interface IndexAddOptions extends Omit<AddOptions, 'embedder'>, SessionOptions {
  /** embedding model for a new index; undefined: BM25 only (an existing index uses its own) */
  embedModel?: string
  /** used like embedModel, for a new index only ($LLM_EMBED_MODEL): never an error on an existing one */
  defaultEmbedModel?: string
}

export async function indexAdd(ref: IndexRef, paths: readonly string[], opts: IndexAddOptions = {}): Promise<AddResult & { file: string; meta: IndexMeta }> {
  if (paths.length === 0) throw usageError('missing PATH', { where: 'PATH', hint: 'give files or folders to index (.txt, .md, .jsonl)' })
  const index = RagIndex.openOrCreate(indexFile(ref.name, ref.db, ref.env))
  let embedder: Embedder | undefined
  try {
    const stored = index.meta?.embedModel
    if (stored !== undefined && opts.embedModel !== undefined && !sameModel(stored, opts.embedModel, ref.env)) {
      throw usageError(`the index was built with the embedding model ${stored}; --embed-model ${opts.embedModel} would mix vectors`, { where: '--embed-model', hint: 'leave it out, or build a new index' })
    }
    const spec = stored ?? (index.meta ? undefined : opts.embedModel ?? opts.defaultEmbedModel)
    // the embedding model (and onnxruntime) load only when vectors are used
    if (spec !== undefined) embedder = await (await import('../embed/open.js')).openEmbedder(spec, { device: opts.device, threads: opts.threads, onInfo: opts.onInfo, env: ref.env })
    const r = await addFiles(index, paths, { ...opts, embedder })
    return { ...r, file: index.file, meta: index.meta! }
  } finally {
    await embedder?.close()
    index.close()
  }
}

function sameModel(stored: string, given: string, env?: NodeJS.ProcessEnv): boolean {
  try {
    return stored === given || stored === resolveModel(given, { ...(env ?? process.env), LLM_MODEL: '' }).dir
  } catch {
    return false
  }
}

export interface IndexSearchOptions extends SessionOptions {
  k?: number
  mode?: SearchMode
}

/** Open ref's index (and its embedding model when the mode needs vectors), run `fn`, close both. */
export async function withIndex<T>(ref: IndexRef, mode: SearchMode | undefined, opts: SessionOptions, fn: (index: RagIndex, embedder: Embedder | undefined, mode: SearchMode) => Promise<T>): Promise<T> {
  const index = RagIndex.open(indexFile(ref.name, ref.db, ref.env), label(ref))
  let embedder: Embedder | undefined
  try {
    const m = searchMode(index, mode)
    if (m !== 'bm25') embedder = await (await import('../embed/open.js')).openEmbedder(index.meta!.embedModel, { ...opts, env: ref.env })
    return await fn(index, embedder, m)
  } finally {
    await embedder?.close()
    index.close()
  }
}

export async function indexSearch(ref: IndexRef, query: string, opts: IndexSearchOptions = {}): Promise<{ mode: SearchMode; hits: SearchHit[] }> {
  return withIndex(ref, opts.mode, opts, async (index, embedder, mode) => ({ mode, hits: await search(index, query, { k: opts.k, mode, embedder }) }))
}

export interface IndexInfo {
  name: string
  file: string
  /** size of the database file */
  bytes: number
  /** total size of the indexed source files */
  sourceBytes?: number
  files: number
  chunks: number
  tokens: number
  meta?: IndexMeta
  sources?: { path: string; hash: string; bytes: number; chunks: number; added_at: string }[]
}

export function indexInfo(ref: IndexRef, withSources = false): IndexInfo {
  const file = indexFile(ref.name, ref.db, ref.env)
  const index = RagIndex.open(file, label(ref))
  try {
    const s = index.stats()
    return { name: label(ref), file, ...s, bytes: statSync(file).size, meta: index.meta, ...(withSources ? { sources: index.files() } : {}) }
  } finally {
    index.close()
  }
}

export function indexList(env?: NodeJS.ProcessEnv): IndexInfo[] {
  return listIndexes(env).map((x) => {
    try {
      return indexInfo({ name: x.name, env })
    } catch {
      // a damaged file is still listed (so it can be removed), without counts
      return { name: x.name, file: x.file, bytes: x.bytes, files: 0, chunks: 0, tokens: 0 }
    }
  })
}

export function indexRemove(ref: IndexRef): string {
  const file = indexFile(ref.name, ref.db, ref.env)
  removeIndex(file, label(ref))
  return file
}
