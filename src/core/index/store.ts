/**
 * An index: one SQLite file, `$LLM_HOME/index/NAME.sqlite` (or any `--db FILE`).
 *
 *   meta(key, value)          schema_version, created_at, chunk_tokens, chunk_overlap, counter
 *                             ('words' or 'model'), embed_model, embed_kind, pooling, dim
 *   files(id, path, hash, bytes, chunks, added_at)       one row per source file
 *   chunks(id, file_id, ord, line_start, line_end, tokens, text)
 *   chunks_fts                FTS5 over chunks.text (contentless, porter + unicode61), rowid = chunks.id
 *   chunks_vec                sqlite-vec vec0 float[dim], cosine distance, rowid = chunks.id
 *                             (only when the index was built with an embedding model)
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { mkdirs } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { llmHome } from '../store/paths.js'
import { dbError, openDb, type Db } from './sqlite.js'

export const SCHEMA_VERSION = '1'
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/

export function indexDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(llmHome(env), 'index')
}

/** Where index NAME lives (or `db`, when given). */
export function indexFile(name: string | undefined, db: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (db) return db
  if (!name) throw usageError('missing index NAME', { where: 'NAME', hint: 'give an index name (or --db FILE)' })
  if (!NAME.test(name)) throw usageError(`invalid index name '${name}'`, { where: 'NAME', hint: 'use letters, digits, _ . - (no slashes); or --db FILE' })
  return join(indexDir(env), `${name}.sqlite`)
}

export interface IndexMeta {
  schemaVersion: string
  createdAt: string
  chunkTokens: number
  chunkOverlap: number
  /** what chunk sizes are counted in: the embedding model's tokens, or words (BM25-only) */
  counter: 'model' | 'words'
  embedModel?: string
  embedKind?: string
  pooling?: string
  dim?: number
}

export class RagIndex {
  private constructor(readonly db: Db, readonly file: string, public meta: IndexMeta | undefined) {}

  /** Open an existing index; `label` names it in errors ('idx' or the --db file). */
  static open(file: string, label = file): RagIndex {
    if (!existsSync(file)) {
      throw new LlmError(`index '${label}' not found`, { where: file, hint: `see 'llm index list'; create it with 'llm index add ${label} PATH…'` })
    }
    const db = openDb(file)
    try {
      const ours = db.prepare("select count(*) n from sqlite_master where type = 'table' and name in ('meta', 'files', 'chunks')").get() as { n: number }
      if (ours.n < 3) throw new LlmError('not an llm index (no meta/files/chunks tables)', { where: file, hint: 'the file is some other SQLite database; pass another --db or NAME' })
      // meta is written by the first add: an index created by an add that was killed before it is empty
      return new RagIndex(db, file, readMeta(db, file))
    } catch (err) {
      db.close()
      throw err
    }
  }

  /** Open `file`, creating the file and tables when they do not exist yet. */
  static openOrCreate(file: string): RagIndex {
    if (existsSync(file)) return RagIndex.open(file)
    mkdirs(join(file, '..'))
    const db = openDb(file, { create: true })
    try {
      // one transaction: a kill mid-create leaves no half-made schema behind
      db.transaction(() => db.exec(`
        create table if not exists meta(key text primary key, value text not null);
        create table if not exists files(id integer primary key, path text unique not null, hash text not null,
          bytes integer not null, chunks integer not null, added_at text not null);
        create table if not exists chunks(id integer primary key, file_id integer not null references files(id) on delete cascade,
          ord integer not null, line_start integer not null, line_end integer not null, tokens integer not null, text text not null);
        create index if not exists chunks_file on chunks(file_id);
        create virtual table if not exists chunks_fts using fts5(text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
      `))()
    } catch (err) {
      db.close()
      throw dbError(file, err, 'cannot create the index')
    }
    return new RagIndex(db, file, readMeta(db, file))
  }

  /** Write the meta table once (first add). */
  initMeta(meta: IndexMeta): void {
    const put = this.db.prepare('insert or replace into meta(key, value) values (?, ?)')
    const rows: [string, string | number | undefined][] = [
      ['schema_version', meta.schemaVersion], ['created_at', meta.createdAt], ['chunk_tokens', meta.chunkTokens],
      ['chunk_overlap', meta.chunkOverlap], ['counter', meta.counter], ['embed_model', meta.embedModel],
      ['embed_kind', meta.embedKind], ['pooling', meta.pooling], ['dim', meta.dim],
    ]
    this.db.transaction(() => {
      for (const [k, v] of rows) if (v !== undefined) put.run(k, String(v))
      if (meta.dim) this.db.exec(`create virtual table if not exists chunks_vec using vec0(embedding float[${meta.dim}] distance_metric=cosine)`)
    })()
    this.meta = meta
  }

  get hasVectors(): boolean { return this.meta?.embedModel !== undefined }

  stats(): { files: number; chunks: number; sourceBytes: number; tokens: number } {
    const f = this.db.prepare('select count(*) n, coalesce(sum(bytes), 0) b from files').get() as { n: number; b: number }
    const c = this.db.prepare('select count(*) n, coalesce(sum(tokens), 0) t from chunks').get() as { n: number; t: number }
    return { files: f.n, chunks: c.n, sourceBytes: f.b, tokens: c.t }
  }

  files(): { path: string; hash: string; bytes: number; chunks: number; added_at: string }[] {
    return this.db.prepare('select path, hash, bytes, chunks, added_at from files order by path').all() as never
  }

  close(): void { this.db.close() }
}

function readMeta(db: Db, file: string): IndexMeta | undefined {
  let rows: { key: string; value: string }[]
  try {
    const has = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'meta'").get()
    if (!has) return undefined
    rows = db.prepare('select key, value from meta').all() as { key: string; value: string }[]
  } catch (err) {
    throw dbError(file, err, 'not a readable index database')
  }
  if (rows.length === 0) return undefined
  const m = new Map(rows.map((r) => [r.key, r.value]))
  if (m.get('schema_version') !== SCHEMA_VERSION) {
    throw new LlmError(`index schema version ${m.get('schema_version') ?? '?'} is not supported (this llm reads ${SCHEMA_VERSION})`, { where: file, hint: 'rebuild the index with this version of llm' })
  }
  const num = (k: string) => (m.has(k) ? Number(m.get(k)) : undefined)
  return {
    schemaVersion: SCHEMA_VERSION, createdAt: m.get('created_at') ?? '', chunkTokens: num('chunk_tokens') ?? 0, chunkOverlap: num('chunk_overlap') ?? 0,
    counter: m.get('counter') === 'model' ? 'model' : 'words', embedModel: m.get('embed_model'), embedKind: m.get('embed_kind'),
    pooling: m.get('pooling'), dim: num('dim'),
  }
}

/** Index names under $LLM_HOME/index with their file sizes. */
export function listIndexes(env: NodeJS.ProcessEnv = process.env): { name: string; file: string; bytes: number }[] {
  const dir = indexDir(env)
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.sqlite')).sort()
    .map((f) => ({ name: basename(f, '.sqlite'), file: join(dir, f), bytes: statSync(join(dir, f)).size }))
}

/** Delete an index file and its WAL side files. */
export function removeIndex(file: string, label = file): void {
  if (!existsSync(file)) throw new LlmError(`index '${label}' not found`, { where: file, hint: "see 'llm index list'" })
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true })
}
