/**
 * Opens an index database (better-sqlite3) with the sqlite-vec extension loaded — the only module
 * that loads sqlite-vec — and turns SQLite's failures into one-line LlmErrors naming the file.
 * Both go through core/db/sqlite.ts, the one opener ($LLM_HOME/llm.sqlite uses it too, with its migrations).
 *
 * sqlite-vec's vec0 tables take rowids only as integers bound as BigInt (a JS number binds as a
 * REAL and is refused: sqlite-vec issue #270), so every rowid passed to SQL here is a BigInt.
 */
import * as sqliteVec from 'sqlite-vec'
import { openSqlite, sqliteError, type Db } from '../db/sqlite.js'
import type { LlmError } from '../errors.js'

export type { Db } from '../db/sqlite.js'

const DAMAGED = 'the file is damaged or not an llm index: remove it (llm index rm NAME, or delete the file) and add the documents again'

/** Open (or create) `file` with sqlite-vec loaded. A file that is not an SQLite database fails here, on one line. */
export function openDb(file: string, opts: { create?: boolean; readonly?: boolean } = {}): Db {
  return openSqlite(file, { ...opts, what: 'index database', setup: (db) => sqliteVec.load(db), corruptHint: DAMAGED })
}

/** SQLite's error (SQLITE_NOTADB, SQLITE_CORRUPT, …) as an LlmError naming the index file. */
export function dbError(file: string, err: unknown, what: string): LlmError {
  return sqliteError(file, err, what, DAMAGED)
}

/** A Float32Array as the little-endian blob sqlite-vec reads. */
export function vecBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
}
