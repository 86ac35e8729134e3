/**
 * The run records `llm pretrain` and `llm eval` make, kept out of the commands (and out of the
 * training core, which the trackers only read the results of): what goes in the signature and
 * params, which files are artifacts, how metrics.jsonl becomes per-step metrics.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { hashData, hashModelFolder, logMetricRows, softwareVersions, startRun, type RunHandle } from './index.js'

export interface TrackOptions {
  /** MLflow file store to write too */
  mlflow?: string
  llmVersion: string
  command?: string
  env?: NodeJS.ProcessEnv
}

/** The parts of pretrain's resolved options the record needs (structural: core/train stays untouched). */
export interface PretrainLike {
  out: string
  data: string[]
  seed: number
  device?: string
  tokenizer?: string
  init?: string
}

export interface PretrainSummaryLike {
  steps: number
  train_loss: number | null
  val_loss: number | null
  tokens_per_second: number
  wall_seconds: number
  interrupted: boolean
}

const PRETRAIN_ARTIFACTS = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'metrics.jsonl', 'onnx']

/** Start a pretrain run record; call done/failed with what pretrain() returned or threw. */
export function trackPretrain(options: PretrainLike & Record<string, unknown>, resume: boolean, t: TrackOptions): { run: RunHandle; done(s: PretrainSummaryLike): void; failed(err: unknown): void } {
  const tokenizerFile = options.tokenizer && existsSync(options.tokenizer)
    ? (statSync(options.tokenizer).isDirectory() ? join(options.tokenizer, 'tokenizer.json') : options.tokenizer) : undefined
  const run = startRun({
    kind: 'pretrain', name: basename(resolve(options.out)), out: options.out, mlflow: t.mlflow, command: t.command, env: t.env,
    params: { ...options, resume },
    signature: {
      ...(options.init ? hashModelFolder(options.init) : {}),
      ...(tokenizerFile && existsSync(tokenizerFile) ? { tokenizer_sha256: hashData([tokenizerFile])[0]?.sha256 } : {}),
      data: hashData(options.data), seed: options.seed, device: options.device ?? 'cpu', versions: softwareVersions(t.llmVersion),
    },
  })
  const collect = () => {
    const metrics = join(options.out, 'metrics.jsonl')
    if (existsSync(metrics)) {
      const rows = readFileSync(metrics, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>)
      logMetricRows(run, rows)
    }
    const tok = join(options.out, 'tokenizer.json')
    if (existsSync(tok)) run.updateSignature({ tokenizer_sha256: hashData([tok])[0]!.sha256 })
    for (const f of PRETRAIN_ARTIFACTS) if (existsSync(join(options.out, f))) run.logArtifact(join(options.out, f))
  }
  return {
    run,
    done(s) {
      collect()
      run.finish(s.interrupted ? 'KILLED' : 'FINISHED', { steps: s.steps, train_loss: s.train_loss, val_loss: s.val_loss, tokens_per_second: s.tokens_per_second, wall_seconds: s.wall_seconds })
    },
    failed(err) {
      try { collect() } catch { /* the run's own error is the one to report */ }
      run.finish('FAILED', { error: err instanceof Error ? err.message : String(err) })
    },
  }
}

export interface EvalLike {
  task: { name: string; data: string; source: string; type: string }
  modelDir: string
  modelFile: string
  device: string
  params: Record<string, unknown>
}

/** Start an eval run record: done() logs each metric (and its stderr) at step 0 and the output files. */
export function trackEval(e: EvalLike, t: TrackOptions): { run: RunHandle; done(metrics: Record<string, { value: number; stderr?: number | null }>, files: (string | undefined)[]): void; failed(err: unknown): void } {
  const run = startRun({
    kind: 'eval', name: `${e.task.name}:${basename(e.modelDir)}`, mlflow: t.mlflow, command: t.command, env: t.env,
    params: { task: e.task.name, task_source: e.task.source, task_type: e.task.type, model: e.modelDir, ...e.params },
    signature: { ...hashModelFolder(e.modelDir, e.modelFile), data: hashData([e.task.data]), seed: e.params.seed as number | undefined, device: e.device, versions: softwareVersions(t.llmVersion) },
  })
  return {
    run,
    done(metrics, files) {
      const values: Record<string, number> = {}
      for (const [k, m] of Object.entries(metrics)) {
        values[k] = m.value
        if (typeof m.stderr === 'number') values[`${k}_stderr`] = m.stderr
      }
      run.logMetrics(0, values)
      for (const f of files) if (f && existsSync(f)) run.logArtifact(f)
      run.finish('FINISHED', Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, m.value])))
    },
    failed(err) { run.finish('FAILED', { error: err instanceof Error ? err.message : String(err) }) },
  }
}
