/**
 * Run tracking for pretrain, finetune and eval: one row per run in the `runs` table of
 * $LLM_HOME/llm.sqlite (signature, params, status, summary), its per-step metrics and its
 * artifacts' paths; with `mlflow`, the same run also in MLflow's file-store layout (mlflow.ts).
 *
 *   const run = startRun({ kind: 'pretrain', name, params, signature, out, mlflow: flags.mlflow })
 *   run.logMetric(step, 'loss', 2.31)           // or run.logMetrics(step, { loss, val_loss })
 *   run.logArtifact(join(out, 'config.json'))
 *   run.finish('FINISHED', { val_loss: 1.6 })   // FAILED / KILLED on error / interrupt
 *
 * Writing to the database follows LLM_NO_LOG / `enabled` (the MLflow copy is written whenever
 * `mlflow` is given). Every write is its own committed transaction, so a killed process leaves
 * a run that says RUNNING with the metrics logged so far.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import { dbPath, loggingEnabled, openDb, withDb, type Db } from '../db/index.js'
import { MlflowRun, type RunStatusName } from './mlflow.js'
import type { RunSignature } from './signature.js'

export type RunKind = 'pretrain' | 'finetune' | 'eval'
export type { RunStatusName } from './mlflow.js'
export type { RunSignature } from './signature.js'
export { hashData, hashModelFolder, softwareVersions } from './signature.js'

export interface StartRunOptions {
  kind: RunKind
  name: string
  params: Record<string, unknown>
  signature: RunSignature
  out?: string
  /** also write MLflow's file store here */
  mlflow?: string
  mlflowExperiment?: string
  command?: string
  /** false: no database row (MLflow still written); default: LLM_NO_LOG decides */
  enabled?: boolean
  env?: NodeJS.ProcessEnv
  /** database file (tests) */
  dbPath?: string
}

export interface RunHandle {
  readonly id: string
  /** the MLflow run folder, when --mlflow was given */
  readonly mlflowDir?: string
  logMetric(step: number, key: string, value: number, timestamp?: number): void
  logMetrics(step: number, values: Record<string, number | undefined>, timestamp?: number): void
  logArtifact(path: string, kind?: string): void
  /** add fields known only later (e.g. the hash of a tokenizer the run trained) */
  updateSignature(extra: Partial<RunSignature>): void
  finish(status: Exclude<RunStatusName, 'RUNNING' | 'SCHEDULED'>, summary?: Record<string, unknown>): void
}

export function newRunId(): string {
  return randomBytes(16).toString('hex')
}

export function startRun(opts: StartRunOptions): RunHandle {
  const id = newRunId()
  const started = Date.now()
  const db: Db | undefined = (opts.enabled ?? true) && loggingEnabled(opts.env) ? openDb({ env: opts.env, path: opts.dbPath }) : undefined
  const mlflow = opts.mlflow !== undefined
    ? new MlflowRun(opts.mlflow, {
      runId: id, runName: opts.name, startTime: started, experimentName: opts.mlflowExperiment, params: opts.params,
      tags: { 'llm.kind': opts.kind, 'llm.signature': JSON.stringify(opts.signature), ...(opts.out ? { 'llm.out': resolve(opts.out) } : {}), ...(opts.command ? { 'mlflow.source.name': opts.command } : {}) },
    })
    : undefined
  db?.prepare(`INSERT INTO runs (id, kind, name, status, started_at, signature, params, out, mlflow_dir, command) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?)`)
    .run(id, opts.kind, opts.name, new Date(started).toISOString(), JSON.stringify(opts.signature), JSON.stringify(opts.params),
      opts.out ? resolve(opts.out) : null, mlflow?.dir ?? null, opts.command ?? null)
  const insertMetric = db?.prepare('INSERT OR REPLACE INTO run_metrics (run_id, key, step, value, ts) VALUES (?, ?, ?, ?, ?)')
  let finished = false
  const handle: RunHandle = {
    id,
    mlflowDir: mlflow?.dir,
    logMetric(step, key, value, ts = Date.now()) {
      if (!Number.isFinite(value)) return
      insertMetric?.run(id, key, step, value, ts)
      mlflow?.logMetric(key, value, step, ts)
    },
    logMetrics(step, values, ts = Date.now()) {
      const write = () => { for (const [k, v] of Object.entries(values)) if (v !== undefined) handle.logMetric(step, k, v, ts) }
      if (db) db.transaction(write)()
      else write()
    },
    logArtifact(path, kind) {
      db?.prepare('INSERT OR IGNORE INTO run_artifacts (run_id, path, kind) VALUES (?, ?, ?)').run(id, resolve(path), kind ?? null)
      mlflow?.logArtifact(path)
    },
    updateSignature(extra) {
      Object.assign(opts.signature, extra)
      db?.prepare('UPDATE runs SET signature = ? WHERE id = ?').run(JSON.stringify(opts.signature), id)
      mlflow?.setTag('llm.signature', JSON.stringify(opts.signature))
    },
    finish(status, summary) {
      if (finished) return
      finished = true
      db?.prepare('UPDATE runs SET status = ?, ended_at = ?, summary = ? WHERE id = ?').run(status, new Date().toISOString(), summary ? JSON.stringify(summary) : null, id)
      mlflow?.finish(status)
      db?.close()
    },
  }
  return handle
}

/** Log many steps at once (one transaction): e.g. a metrics.jsonl read after training. */
export function logMetricRows(run: RunHandle, rows: readonly Record<string, unknown>[], stepKey = 'step', timestamp = Date.now()): number {
  let n = 0
  for (const row of rows) {
    const step = row[stepKey]
    if (typeof step !== 'number') continue
    const values: Record<string, number> = {}
    for (const [k, v] of Object.entries(row)) if (k !== stepKey && typeof v === 'number') values[k] = v
    run.logMetrics(step, values, timestamp)
    n++
  }
  return n
}

// ---- reading ---------------------------------------------------------------------------------

export interface RunRow {
  id: string
  kind: RunKind
  name: string
  status: string
  started_at: string
  ended_at: string | null
  signature: RunSignature
  params: Record<string, unknown>
  summary: Record<string, unknown> | null
  out: string | null
  mlflow_dir: string | null
  command: string | null
}

function parseRun(r: Record<string, unknown>): RunRow {
  const p = (s: unknown) => (typeof s === 'string' ? JSON.parse(s) : null)
  return { ...(r as unknown as RunRow), signature: p(r.signature), params: p(r.params), summary: p(r.summary) }
}

export function listRuns(db: Db, opts: { kind?: RunKind; limit?: number } = {}): RunRow[] {
  const rows = opts.kind
    ? db.prepare('SELECT * FROM runs WHERE kind = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all(opts.kind, opts.limit ?? 50)
    : db.prepare('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(opts.limit ?? 50)
  return rows.map((r) => parseRun(r as Record<string, unknown>))
}

/** A run by id, unique id prefix (≥ 4 hex digits) or name (the newest run of that name). */
/**
 * Run `fn` on the runs database for reading: when nothing was recorded yet (no database file),
 * the error is "no run REF" and no file is created.
 */
export function readRuns<T>(ref: string, fn: (db: Db) => T, env: NodeJS.ProcessEnv = process.env): T {
  if (!existsSync(dbPath(env))) throw new LlmError(`no run '${ref}' (nothing recorded yet)`, { where: dbPath(env) })
  return withDb(fn, { env })
}

export function findRun(db: Db, ref: string): RunRow {
  const byId = db.prepare('SELECT * FROM runs WHERE id = ?').get(ref)
  if (byId) return parseRun(byId as Record<string, unknown>)
  if (/^[0-9a-f]{4,31}$/.test(ref)) {
    const hits = db.prepare('SELECT * FROM runs WHERE id LIKE ? LIMIT 2').all(ref + '%')
    if (hits.length === 1) return parseRun(hits[0] as Record<string, unknown>)
    if (hits.length > 1) throw usageError(`run id prefix '${ref}' is ambiguous`, { where: ref, hint: 'give more digits' })
  }
  const byName = db.prepare('SELECT * FROM runs WHERE name = ? ORDER BY started_at DESC, rowid DESC LIMIT 1').get(ref)
  if (byName) return parseRun(byName as Record<string, unknown>)
  throw new LlmError(`no run '${ref}'`, { where: ref, hint: "see 'llm runs list'" })
}

export interface MetricPoint { step: number; value: number; ts: number }

/** key → points in step order */
export function runMetrics(db: Db, runId: string, keys?: readonly string[]): Map<string, MetricPoint[]> {
  const rows = db.prepare('SELECT key, step, value, ts FROM run_metrics WHERE run_id = ? ORDER BY key, step').all(runId) as ({ key: string } & MetricPoint)[]
  const out = new Map<string, MetricPoint[]>()
  for (const r of rows) {
    if (keys && !keys.includes(r.key)) continue
    let list = out.get(r.key)
    if (!list) out.set(r.key, (list = []))
    list.push({ step: r.step, value: r.value, ts: r.ts })
  }
  return out
}

export function runArtifacts(db: Db, runId: string): { path: string; kind: string | null }[] {
  return db.prepare('SELECT path, kind FROM run_artifacts WHERE run_id = ? ORDER BY path').all(runId) as { path: string; kind: string | null }[]
}

export interface RunComparison {
  a: string
  b: string
  /** fields of the signature and params that differ: [key, a, b] */
  differences: [string, unknown, unknown][]
  /** last value of each metric both runs have */
  metrics: { key: string; a: number; b: number; delta: number }[]
}

/** What differs between two runs: signature, params, and each shared metric's last value. */
export function compareRuns(db: Db, a: RunRow, b: RunRow): RunComparison {
  const flat = (prefix: string, o: Record<string, unknown> | null | undefined, into: Map<string, unknown>) => {
    for (const [k, v] of Object.entries(o ?? {})) into.set(prefix + k, typeof v === 'object' && v !== null ? JSON.stringify(v) : v)
  }
  const fa = new Map<string, unknown>(); const fb = new Map<string, unknown>()
  flat('signature.', a.signature as unknown as Record<string, unknown>, fa); flat('params.', a.params, fa)
  flat('signature.', b.signature as unknown as Record<string, unknown>, fb); flat('params.', b.params, fb)
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort()
  const differences: [string, unknown, unknown][] = keys.filter((k) => fa.get(k) !== fb.get(k)).map((k) => [k, fa.get(k) ?? null, fb.get(k) ?? null])
  const ma = runMetrics(db, a.id); const mb = runMetrics(db, b.id)
  const metrics = [...ma.keys()].filter((k) => mb.has(k)).sort().map((key) => {
    const va = ma.get(key)!.at(-1)!.value; const vb = mb.get(key)!.at(-1)!.value
    return { key, a: va, b: vb, delta: vb - va }
  })
  return { a: a.id, b: b.id, differences, metrics }
}
