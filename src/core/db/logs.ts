/**
 * The request log: one row per request to `llm serve`, `llm generate` or `llm chat` (one row per
 * turn), searchable with FTS5 (`llm logs search QUERY`, SQLite's full-text query syntax).
 * Each insert is its own transaction, committed before the response is finished.
 */
import { usageError } from '../errors.js'
import { modelId } from '../store/paths.js'
import { loggingEnabled, openDb, type Db } from './index.js'
import { definedOnly } from '../json.js'

export type RequestSource = 'serve' | 'generate' | 'chat'

export interface RequestRecord {
  createdAt: Date
  source: RequestSource
  endpoint?: string
  model: string
  /** the input as text */
  prompt: string
  messages?: readonly { role: string; content: string }[]
  response: string
  finishReason?: string
  promptTokens?: number
  completionTokens?: number
  durationMs?: number
  prefillMs?: number
  decodeMs?: number
  options?: Record<string, unknown>
  client?: string
  status?: number
  error?: string
}

/** A row as stored (JSON columns parsed). */
export interface RequestRow {
  id: number
  created_at: string
  source: RequestSource
  endpoint: string | null
  model: string
  prompt: string
  messages: { role: string; content: string }[] | null
  response: string
  finish_reason: string | null
  prompt_tokens: number | null
  completion_tokens: number | null
  duration_ms: number | null
  prefill_ms: number | null
  decode_ms: number | null
  options: Record<string, unknown> | null
  client: string | null
  status: number | null
  error: string | null
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v))
const round = (x: number | undefined): number | null => (x === undefined ? null : Math.round(x * 1000) / 1000)

export function insertRequest(db: Db, r: RequestRecord): number {
  const info = db.prepare(`INSERT INTO requests (created_at, source, endpoint, model, prompt, messages, response, finish_reason,
      prompt_tokens, completion_tokens, duration_ms, prefill_ms, decode_ms, options, client, status, error)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    r.createdAt.toISOString(), r.source, r.endpoint ?? null, r.model, r.prompt, json(r.messages), r.response, r.finishReason ?? null,
    r.promptTokens ?? null, r.completionTokens ?? null, round(r.durationMs), round(r.prefillMs), round(r.decodeMs),
    json(r.options), r.client ?? null, r.status ?? null, r.error ?? null,
  )
  return Number(info.lastInsertRowid)
}

function parseRow(raw: Record<string, unknown>): RequestRow {
  const parse = (s: unknown) => (typeof s === 'string' ? JSON.parse(s) : null)
  return { ...(raw as unknown as RequestRow), messages: parse(raw.messages), options: parse(raw.options) }
}

export interface ListOptions {
  limit?: number
  source?: RequestSource
  model?: string
  /** ISO date/time: only rows at or after it */
  since?: string
}

/** Newest first. */
export function listRequests(db: Db, opts: ListOptions = {}): RequestRow[] {
  const where: string[] = []
  const args: unknown[] = []
  if (opts.source) { where.push('source = ?'); args.push(opts.source) }
  if (opts.model) { where.push('model = ?'); args.push(opts.model) }
  if (opts.since) { where.push('created_at >= ?'); args.push(parseDate(opts.since, '--since')) }
  const sql = `SELECT * FROM requests ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`
  return db.prepare(sql).all(...args, opts.limit ?? 20).map((r) => parseRow(r as Record<string, unknown>))
}

export function getRequest(db: Db, id: number): RequestRow | undefined {
  const r = db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as Record<string, unknown> | undefined
  return r ? parseRow(r) : undefined
}

/**
 * Full-text search, best match first. QUERY is FTS5 syntax (`word`, `"a phrase"`, `a OR b`,
 * `prefix*`, `response:word`); text that is not valid FTS5 (stray quotes, `-`, `:`) is searched as
 * plain words instead of failing.
 */
export function searchRequests(db: Db, query: string, limit = 20): RequestRow[] {
  if (query.trim() === '') throw usageError('empty search query', { where: 'QUERY' })
  const sql = `SELECT r.* FROM requests_fts f JOIN requests r ON r.id = f.rowid WHERE requests_fts MATCH ? ORDER BY f.rank LIMIT ?`
  let rows: unknown[]
  try {
    rows = db.prepare(sql).all(query, limit)
  } catch {
    const words = query.match(/[\p{L}\p{N}_]+/gu) ?? []
    if (words.length === 0) return []
    rows = db.prepare(sql).all(words.map((w) => `"${w}"`).join(' '), limit)
  }
  return rows.map((r) => parseRow(r as Record<string, unknown>))
}

/** Delete rows older than `before` (ISO date or date-time); returns how many. */
export function deleteRequestsBefore(db: Db, before: string): number {
  const iso = parseDate(before, '--before')
  return db.transaction(() => db.prepare('DELETE FROM requests WHERE created_at < ?').run(iso).changes)()
}

/** 2026-11-20, 2026-11-20T10:00, … → ISO 8601 UTC; a bad date is a usage error naming the flag. */
export function parseDate(s: string, flag: string): string {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(s) ? Date.parse(s + 'T00:00:00Z') : Date.parse(s)
  if (!Number.isFinite(t)) throw usageError(`'${s}' is not a date`, { where: flag, hint: 'use YYYY-MM-DD or an ISO 8601 date-time' })
  return new Date(t).toISOString()
}

/**
 * What commands use to log: opens the database lazily on the first record, never when logging
 * is off (--no-log / LLM_NO_LOG). A failed write is reported through `onError`, never thrown:
 * logging must not break the answer it records.
 */
export class RequestLog {
  private db: Db | undefined
  readonly enabled: boolean

  constructor(private readonly opts: { enabled?: boolean; env?: NodeJS.ProcessEnv; path?: string; onError?: (err: Error) => void } = {}) {
    this.enabled = (opts.enabled ?? true) && loggingEnabled(opts.env)
  }

  record(r: RequestRecord): number | undefined {
    if (!this.enabled) return undefined
    try {
      this.db ??= openDb({ env: this.opts.env, path: this.opts.path })
      return insertRequest(this.db, r)
    } catch (err) {
      this.opts.onError?.(err as Error)
      return undefined
    }
  }

  close(): void {
    this.db?.close()
    this.db = undefined
  }
}

/** The log row for one generation by `llm generate` / `llm chat` (one row per chat turn). */
export function generationRecord(g: {
  source: RequestSource
  modelDir: string
  prompt: string
  messages?: readonly { role: string; content: string }[]
  result: { text: string; prompt_ids: readonly number[]; ids: readonly number[]; finish_reason: string; seed: number; timings: { prefill_ms: number; decode_ms: number } }
  /** the answer as shown, when it differs from result.text (chat trims it) */
  response?: string
  options: Record<string, unknown>
  startedAt: Date
  durationMs: number
}): RequestRecord {
  return {
    createdAt: g.startedAt, source: g.source, model: modelId(g.modelDir), prompt: g.messages ? g.messages.map((m) => m.content).join('\n') : g.prompt,
    messages: g.messages, response: g.response ?? g.result.text, finishReason: g.result.finish_reason,
    promptTokens: g.result.prompt_ids.length, completionTokens: g.result.ids.length, durationMs: g.durationMs,
    prefillMs: g.result.timings.prefill_ms, decodeMs: g.result.timings.decode_ms,
    options: { ...definedOnly(g.options), seed: g.result.seed }, client: `llm ${g.source}`,
  }
}
