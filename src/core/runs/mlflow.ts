/**
 * A writer for MLflow's file store (the `mlruns/` layout of mlflow/store/tracking/file_store.py),
 * so `mlflow ui --backend-store-uri DIR` lists our runs (MLflow ≥ 3.13 also needs
 * MLFLOW_ALLOW_FILE_STORE=true):
 *
 *   DIR/<experiment_id>/meta.yaml              experiment: artifact_location, creation_time,
 *                                              experiment_id, last_update_time, lifecycle_stage, name
 *   DIR/<experiment_id>/<run_id>/meta.yaml     run: RunInfo's fields + the persisted extras
 *                                              (status as MLflow's integer enum, source_type 4 = LOCAL, tags: [])
 *   DIR/<experiment_id>/<run_id>/metrics/<key> one line per value: "<timestamp ms> <value> <step>"
 *   DIR/<experiment_id>/<run_id>/params/<key>  the value, no newline
 *   DIR/<experiment_id>/<run_id>/tags/<key>    the value (mlflow.runName, mlflow.source.name, …)
 *   DIR/<experiment_id>/<run_id>/artifacts/    copies of the run's files
 *   DIR/.trash/                                what FileStore creates beside the experiments
 *
 * Experiment "0" ("Default") is created when DIR has none, as FileStore does.
 */
import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { pathToFileURL } from 'node:url'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import { writeFileAtomic } from '../atomic.js'
import { LlmError } from '../errors.js'

/** mlflow.entities.RunStatus */
export const MLFLOW_STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const
export type RunStatusName = keyof typeof MLFLOW_STATUS

const SOURCE_TYPE_LOCAL = 4
const DEFAULT_EXPERIMENT = { id: '0', name: 'Default' }

/** MLflow's key rule (_validate_metric_name etc.): alphanumerics, _ - . space / */
function checkKey(key: string, what: string): string {
  if (!/^[\w\-. /]+$/.test(key) || key.includes('..') || key.startsWith('/')) throw new LlmError(`not a valid MLflow ${what} name: '${key}'`)
  return key
}

function user(): string {
  try { return userInfo().username } catch { return 'unknown' }
}

/** Find or create the experiment called `name` (default: "Default", id 0); returns its id. */
export function ensureExperiment(root: string, name = DEFAULT_EXPERIMENT.name): string {
  mkdirSync(join(root, '.trash'), { recursive: true })
  for (const d of readdirSync(root)) {
    const meta = join(root, d, 'meta.yaml')
    if (d.startsWith('.') || !existsSync(meta)) continue
    const m = parseYaml(readFileSync(meta, 'utf8')) as { name?: string; experiment_id?: string } | null
    if (m?.name === name) return String(m.experiment_id ?? d)
  }
  const taken = new Set(readdirSync(root))
  // FileStore numbers new experiments with a random integer id; "0" is the default one
  let id = name === DEFAULT_EXPERIMENT.name && !taken.has('0') ? '0' : String(Date.now() * 1000 + Math.floor(Math.random() * 1000))
  while (taken.has(id)) id = String(Number(id) + 1)
  const now = Date.now()
  mkdirSync(join(root, id), { recursive: true })
  writeFileAtomic(join(root, id, 'meta.yaml'), toYaml({
    artifact_location: pathToFileURL(join(root, id)).href,
    creation_time: now,
    experiment_id: id,
    last_update_time: now,
    lifecycle_stage: 'active',
    name,
  }))
  return id
}

export interface MlflowRunOptions {
  runId: string
  runName: string
  startTime: number
  experimentName?: string
  params?: Record<string, unknown>
  tags?: Record<string, string>
}

export class MlflowRun {
  readonly dir: string
  readonly experimentId: string
  private readonly info: Record<string, unknown>

  constructor(root: string, opts: MlflowRunOptions) {
    const abs = resolve(root)
    try {
      mkdirSync(abs, { recursive: true })
      this.experimentId = ensureExperiment(abs, opts.experimentName)
    } catch (err) {
      throw err instanceof LlmError ? err : new LlmError(`cannot write the MLflow store: ${(err as Error).message}`, { where: abs, hint: 'check --mlflow DIR' })
    }
    this.dir = join(abs, this.experimentId, opts.runId)
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) mkdirSync(join(this.dir, sub), { recursive: true })
    this.info = {
      artifact_uri: pathToFileURL(join(this.dir, 'artifacts')).href,
      end_time: null,
      entry_point_name: '',
      experiment_id: this.experimentId,
      lifecycle_stage: 'active',
      run_id: opts.runId,
      run_name: opts.runName,
      run_uuid: opts.runId,
      source_name: '',
      source_type: SOURCE_TYPE_LOCAL,
      source_version: '',
      start_time: opts.startTime,
      status: MLFLOW_STATUS.RUNNING,
      tags: [],
      user_id: user(),
      deleted_time: null,
    }
    this.writeMeta()
    this.setTag('mlflow.runName', opts.runName)
    this.setTag('mlflow.user', String(this.info.user_id))
    this.setTag('mlflow.source.type', 'LOCAL')
    for (const [k, v] of Object.entries(opts.tags ?? {})) this.setTag(k, v)
    for (const [k, v] of Object.entries(opts.params ?? {})) if (v !== undefined) this.logParam(k, v)
  }

  private writeMeta(): void {
    writeFileAtomic(join(this.dir, 'meta.yaml'), toYaml(this.info))
  }

  logParam(key: string, value: unknown): void {
    // MLflow stores params as strings (at most 6000 characters)
    const s = typeof value === 'string' ? value : JSON.stringify(value) ?? 'null'
    writeFileAtomic(join(this.dir, 'params', checkKey(key, 'param')), s.slice(0, 6000))
  }

  setTag(key: string, value: string): void {
    writeFileAtomic(join(this.dir, 'tags', checkKey(key, 'tag')), value)
  }

  /** Append one value, as FileStore._log_run_metric does. */
  logMetric(key: string, value: number, step: number, timestamp = Date.now()): void {
    appendFileSync(join(this.dir, 'metrics', checkKey(key, 'metric')), `${Math.round(timestamp)} ${value} ${step}\n`)
  }

  /** Put a file (or a folder's files) under artifacts/: a hard link when possible, else a copy. */
  logArtifact(path: string): void {
    if (!existsSync(path)) return
    const target = join(this.dir, 'artifacts', basename(path))
    if (statSync(path).isDirectory()) {
      mkdirSync(target, { recursive: true })
      for (const f of readdirSync(path)) {
        const src = join(path, f)
        if (statSync(src).isFile()) linkOrCopy(src, join(target, f))
      }
    } else linkOrCopy(path, target)
  }

  finish(status: RunStatusName, endTime = Date.now()): void {
    this.info.status = MLFLOW_STATUS[status]
    this.info.end_time = endTime
    this.writeMeta()
  }
}

function linkOrCopy(src: string, dst: string): void {
  if (existsSync(dst)) return
  try { linkSync(src, dst) } catch { copyFileSync(src, dst) }
}
