/**
 * `llm index add`: read, chunk, embed and store files. Each file is one transaction (its old rows
 * out, its new chunks, FTS entries and vectors in), so a killed `add` leaves every file either
 * wholly in the index or not at all; embedding (the slow, asynchronous part) runs before the
 * transaction opens. A file whose content hash is unchanged is skipped; a changed one is replaced.
 */
import { LlmError } from '../errors.js'
import type { Embedder } from '../embed/types.js'
import { chunkText, type Chunk } from './chunk.js'
import { expandPaths, readSource, type SourceFile } from './sources.js'
import { dbError, vecBlob } from './sqlite.js'
import { SCHEMA_VERSION, type RagIndex } from './store.js'

export interface AddOptions {
  /** the embedding model to use; undefined: BM25 only (or the index's own, opened by the caller) */
  embedder?: Embedder
  chunkTokens?: number
  overlap?: number
  textField?: string
  batchSize?: number
  /** after each file: files done, total, and what happened to it */
  onProgress?: (done: number, total: number, file: string, status: FileStatus) => void
}

export type FileStatus = 'added' | 'replaced' | 'unchanged'

export interface AddResult { added: number; replaced: number; unchanged: number; chunks: number; files: number }

/** Defaults: 200 words without a model; with one, 256 tokens (or its limit), overlap 1/8. */
export function chunkDefaults(embedder: Embedder | undefined): { chunkTokens: number; overlap: number } {
  const chunkTokens = embedder ? Math.min(256, embedder.info.maxTokens - 2) : 200
  return { chunkTokens, overlap: Math.floor(chunkTokens / 8) }
}

const words = (s: string): number => (s.match(/\S+/g) ?? []).length

export async function addFiles(index: RagIndex, paths: readonly string[], opts: AddOptions = {}): Promise<AddResult> {
  const files = expandPaths(paths)
  if (files.length === 0) throw new LlmError('no .txt, .md or .jsonl files found', { where: paths.join(' ') })
  const embedder = opts.embedder
  if (index.meta === undefined) {
    const d = chunkDefaults(embedder)
    const chunkTokens = opts.chunkTokens ?? d.chunkTokens
    const overlap = opts.overlap ?? Math.min(d.overlap, Math.floor(chunkTokens / 2))
    if (overlap >= chunkTokens) throw new LlmError(`--overlap ${overlap} must be smaller than --chunk-tokens ${chunkTokens}`, { where: '--overlap' })
    let dim: number | undefined
    if (embedder) dim = embedder.info.dim || (await embedder.embed(['dimension probe']))[0]!.length
    index.initMeta({
      schemaVersion: SCHEMA_VERSION, createdAt: new Date().toISOString(), chunkTokens, chunkOverlap: overlap,
      counter: embedder ? 'model' : 'words', embedModel: embedder?.info.model, embedKind: embedder?.info.kind, pooling: embedder?.info.pooling, dim,
    })
  } else if (opts.chunkTokens !== undefined && opts.chunkTokens !== index.meta.chunkTokens) {
    throw new LlmError(`the index chunks at ${index.meta.chunkTokens} tokens; --chunk-tokens ${opts.chunkTokens} would mix sizes`, { where: '--chunk-tokens', hint: 'leave it out, or build a new index' })
  }
  const meta = index.meta!
  if (meta.embedModel !== undefined && !embedder) throw new LlmError('this index stores vectors: adding to it needs its embedding model', { where: index.file })
  if (meta.embedModel === undefined && embedder) {
    throw new LlmError('this index was built without embeddings (BM25 only); it cannot take vectors now', { where: index.file, hint: 'build a new index with --embed-model' })
  }
  const count = meta.counter === 'model' && embedder ? (s: string) => embedder.tokenizer.encode(s).length : words

  const db = index.db
  const find = db.prepare('select id, hash from files where path = ?')
  const chunkIds = db.prepare('select id from chunks where file_id = ?')
  const delFts = db.prepare('delete from chunks_fts where rowid = ?')
  const delVec = meta.dim ? db.prepare('delete from chunks_vec where rowid = ?') : undefined
  const delFile = db.prepare('delete from files where id = ?')
  const insFile = db.prepare('insert into files(path, hash, bytes, chunks, added_at) values (?, ?, ?, ?, ?)')
  const insChunk = db.prepare('insert into chunks(file_id, ord, line_start, line_end, tokens, text) values (?, ?, ?, ?, ?, ?)')
  const insFts = db.prepare('insert into chunks_fts(rowid, text) values (?, ?)')
  const insVec = meta.dim ? db.prepare('insert into chunks_vec(rowid, embedding) values (?, ?)') : undefined

  const store = db.transaction((src: SourceFile, chunks: Chunk[], vectors: Float32Array[] | undefined, oldId: number | undefined) => {
    if (oldId !== undefined) {
      for (const { id } of chunkIds.all(oldId) as { id: number }[]) { delFts.run(BigInt(id)); delVec?.run(BigInt(id)) }
      delFile.run(oldId)
    }
    const fileId = insFile.run(src.path, src.hash, src.bytes, chunks.length, new Date().toISOString()).lastInsertRowid
    chunks.forEach((c, ord) => {
      const id = BigInt(insChunk.run(fileId, ord, c.lineStart, c.lineEnd, c.tokens, c.text).lastInsertRowid)
      insFts.run(id, c.text)
      if (insVec && vectors) insVec.run(id, vecBlob(vectors[ord]!))
    })
  })

  const result: AddResult = { added: 0, replaced: 0, unchanged: 0, chunks: 0, files: files.length }
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!
    const src = readSource(path, opts.textField)
    const old = find.get(path) as { id: number; hash: string } | undefined
    let status: FileStatus
    if (old && old.hash === src.hash) status = 'unchanged'
    else {
      const chunks = chunkSource(src, meta.chunkTokens, meta.chunkOverlap, count)
      const vectors = embedder && chunks.length ? await embedder.embed(chunks.map((c) => c.text), { batchSize: opts.batchSize }) : undefined
      if (vectors && meta.dim && vectors[0]!.length !== meta.dim) {
        throw new LlmError(`the embedding model gives ${vectors[0]!.length}-d vectors, the index stores ${meta.dim}-d`, { where: index.file })
      }
      try { store(src, chunks, vectors, old?.id) } catch (err) { throw dbError(index.file, err, `cannot store ${path}`) }
      status = old ? 'replaced' : 'added'
      result.chunks += chunks.length
    }
    result[status]++
    opts.onProgress?.(i + 1, files.length, path, status)
  }
  return result
}

/** Chunks of every document of a source file, with file line numbers (a JSONL record: its line). */
function chunkSource(src: SourceFile, maxTokens: number, overlap: number, count: (s: string) => number): Chunk[] {
  const out: Chunk[] = []
  const jsonl = src.path.toLowerCase().endsWith('.jsonl')
  for (const doc of src.docs) {
    for (const c of chunkText(doc.text, { maxTokens, overlap, count })) {
      out.push(jsonl ? { ...c, lineStart: doc.firstLine, lineEnd: doc.firstLine } : { ...c, lineStart: c.lineStart + doc.firstLine - 1, lineEnd: c.lineEnd + doc.firstLine - 1 })
    }
  }
  return out
}
