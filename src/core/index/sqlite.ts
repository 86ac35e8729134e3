/**
 * Opens an index database (better-sqlite3) with the sqlite-vec extension loaded — the only module
 * that loads sqlite-vec — and turns SQLite's failures into one-line LlmErrors naming the file.
 * (core/db opens the other database, $LLM_HOME/llm.sqlite, with its migrations.)
 *
 * sqlite-vec's vec0 tables take rowids only as integers bound as BigInt (a JS number binds as a
 * REAL and is refused: sqlite-vec issue #270), so every rowid passed to SQL here is a BigInt.
 * Writes run in WAL mode with synchronous=NORMAL: a killed process loses at most the transaction
 * in flight, and the next open rolls the log forward to the last committed one.
 */
import Database from 'better-sqlite3'
import * as sqliteVec from 'sqlite-vec'
import { LlmError } from '../errors.js'

export type Db = Database.Database

/** Open (or create) `file`. A file that is not an SQLite database fails here, on one line. */
export function openDb(file: string, opts: { create?: boolean; readonly?: boolean } = {}): Db {
  let db: Db
  try {
    db = new Database(file, { fileMustExist: !opts.create, readonly: opts.readonly ?? false })
  } catch (err) {
    throw dbError(file, err, 'cannot open the index')
  }
  try {
    sqliteVec.load(db)
    // the first statement reads the header: a corrupt or foreign file fails here
    db.pragma('schema_version')
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
    }
    db.pragma('foreign_keys = ON')
  } catch (err) {
    db.close()
    throw dbError(file, err, 'not a readable index database')
  }
  return db
}

/** SQLite's error (SQLITE_NOTADB, SQLITE_CORRUPT, …) as an LlmError naming the file. */
export function dbError(file: string, err: unknown, what: string): LlmError {
  if (err instanceof LlmError) return err
  const code = (err as { code?: string }).code
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err)
  const corrupt = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(msg)
  return new LlmError(`${what}: ${msg}${code && !msg.includes(code) ? ` (${code})` : ''}`, {
    where: file,
    hint: corrupt ? 'the file is damaged or not an llm index: remove it (llm index rm NAME, or delete the file) and add the documents again' : undefined,
    cause: err,
  })
}

/** A Float32Array as the little-endian blob sqlite-vec reads. */
export function vecBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
}
