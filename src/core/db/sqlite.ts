/**
 * The one SQLite opener (better-sqlite3) behind both kinds of database `llm` keeps: the request log
 * and runs ($LLM_HOME/llm.sqlite, core/db/index.ts, with migrations) and retrieval indexes
 * (core/index/sqlite.ts, with sqlite-vec). Every database is opened the same way: WAL journal with
 * synchronous=NORMAL when written (a killed process loses at most the transaction in flight; the
 * next open rolls the log forward), a 5 s busy timeout (serve and generate may write at once),
 * foreign keys on, and SQLite's failures (SQLITE_NOTADB, SQLITE_CORRUPT, …) turned into one-line
 * LlmErrors naming the file.
 */
import Database from 'better-sqlite3'
import { LlmError } from '../errors.js'

export type Db = Database.Database

export interface OpenSqliteOptions {
  /** create the file when absent (default: it must exist) */
  create?: boolean
  readonly?: boolean
  /** run right after opening, before the first statement (loading an extension) */
  setup?: (db: Db) => void
  /** what the file is, for messages: 'database', 'index database' */
  what: string
  /** the hint when the file cannot be opened at all */
  openHint?: string
  /** the hint when the file is damaged or not an SQLite database */
  corruptHint?: string
}

/** Open `file` (':memory:' too). A file that is not an SQLite database fails here, on one line. */
export function openSqlite(file: string, opts: OpenSqliteOptions): Db {
  let db: Db
  try {
    db = new Database(file, { fileMustExist: !opts.create, readonly: opts.readonly ?? false })
  } catch (err) {
    throw sqliteError(file, err, `cannot open the ${opts.what}`, opts.corruptHint, opts.openHint)
  }
  try {
    opts.setup?.(db)
    // the first statement reads the header: a corrupt or foreign file fails here
    db.pragma('schema_version')
    db.pragma('busy_timeout = 5000')
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
    }
    db.pragma('foreign_keys = ON')
  } catch (err) {
    db.close()
    throw sqliteError(file, err, `not a readable ${opts.what}`, opts.corruptHint)
  }
  return db
}

/** SQLite's error as an LlmError naming the file (LlmErrors pass through): `corruptHint` for a damaged file, else `otherHint`. */
export function sqliteError(file: string, err: unknown, what: string, corruptHint?: string, otherHint?: string): LlmError {
  if (err instanceof LlmError) return err
  const code = (err as { code?: string }).code
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err)
  const corrupt = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(msg)
  return new LlmError(`${what}: ${msg}${code && !msg.includes(code) ? ` (${code})` : ''}`, {
    where: file,
    hint: corrupt ? corruptHint : otherHint,
    cause: err,
  })
}
