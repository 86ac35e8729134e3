/**
 * The one SQLite database of `llm`: `$LLM_HOME/llm.sqlite` (better-sqlite3), holding the request
 * log (serve, generate, chat; see logs.ts) and tracked runs (pretrain, finetune, eval; see
 * src/core/runs). WAL journal, so readers (`llm logs list` while `llm serve` writes) never block
 * the writer, and a process killed mid-request loses nothing it had committed: a commit is in
 * the WAL file before `run()` returns, and SQLite replays the WAL on the next open.
 * synchronous=NORMAL: durable across process crashes (kill -9); a power cut may lose the last
 * transactions, never corrupt the file (SQLite's documented WAL guarantee). Opened by core/db/sqlite.ts,
 * the opener retrieval indexes share.
 *
 * Schema changes are numbered migrations (MIGRATIONS[i] takes the schema from version i to i+1,
 * recorded in `PRAGMA user_version`), each applied in its own transaction.
 * LLM_NO_LOG=1 (or true/yes) turns all writing off: commands then never open the database.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { LlmError } from '../errors.js'
import { llmHome } from '../store/paths.js'
import { MIGRATIONS } from './schema.js'
import { openSqlite, sqliteError, type Db } from './sqlite.js'

export type { Db } from './sqlite.js'

export function dbPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(llmHome(env), 'llm.sqlite')
}

/** false when LLM_NO_LOG asks for no database writes (commands' --no-log does the same) */
export function loggingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.LLM_NO_LOG ?? '').trim().toLowerCase()
  return !(v === '1' || v === 'true' || v === 'yes' || v === 'on')
}

export interface OpenDbOptions {
  /** a file path (default: dbPath(env)); ':memory:' for tests */
  path?: string
  env?: NodeJS.ProcessEnv
  /** open an existing database for reading only (no migrations; fails if absent) */
  readonly?: boolean
}

/** Open (creating and migrating as needed) the database. */
export function openDb(opts: OpenDbOptions = {}): Db {
  const path = opts.path ?? dbPath(opts.env)
  const readonly = opts.readonly ?? false
  try {
    if (path !== ':memory:' && !readonly) mkdirSync(dirname(path), { recursive: true })
  } catch (err) {
    throw sqliteError(path, err, 'cannot open the database', undefined, 'check that $LLM_HOME is writable')
  }
  const db = openSqlite(path, {
    what: 'database', create: !readonly, readonly,
    openHint: readonly ? 'nothing was logged yet (see llm serve / generate / chat)' : 'check that $LLM_HOME is writable',
    corruptHint: 'the file is damaged or not an llm database: move it aside; llm starts a new one',
  })
  try {
    if (!readonly) migrate(db, path)
    else {
      const v = db.pragma('user_version', { simple: true }) as number
      if (v > MIGRATIONS.length) throw newerSchema(path, v)
    }
  } catch (err) {
    db.close()
    throw err instanceof LlmError ? err : sqliteError(path, err, 'cannot use the database')
  }
  return db
}

function newerSchema(path: string, v: number): LlmError {
  return new LlmError(`the database has schema version ${v}, newer than this llm knows (${MIGRATIONS.length})`, { where: path, hint: 'upgrade llm' })
}

/** Apply the migrations the database has not seen, one transaction each. */
export function migrate(db: Db, path = 'database'): number {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > MIGRATIONS.length) throw newerSchema(path, current)
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
  return MIGRATIONS.length
}

/**
 * Run `fn` on the database when it exists, else return `absent` without creating it (readers:
 * `llm logs list` on a fresh machine shows nothing instead of making an empty file).
 */
export function readDb<T>(fn: (db: Db) => T, absent: T, env: NodeJS.ProcessEnv = process.env): T {
  if (!existsSync(dbPath(env))) return absent
  return withDb(fn, { env })
}

/** Run `fn` with an open database and close it afterwards. */
export function withDb<T>(fn: (db: Db) => T, opts: OpenDbOptions = {}): T {
  const db = openDb(opts)
  try {
    return fn(db)
  } finally {
    db.close()
  }
}
