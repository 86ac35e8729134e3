/**
 * The run records `llm pretrain`, `llm finetune` and `llm eval` make, kept out of the commands
 * and out of the training core (which only reports events): what goes in the signature and
 * params, which files are artifacts.
 */
import { existsSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { hashData, hashModelFolder, softwareVersions, startRun, type RunHandle } from './index.js'

export interface TrackOptions {
  /** MLflow file store to write too */
  mlflow?: string
  llmVersion: string
  command?: string
  env?: NodeJS.ProcessEnv
}

/** The parts of a training run's options the record needs. */
export interface TrainingLike {
  out: string
  data: string[]
  seed: number
  device?: string
  /** pretrain */
  tokenizer?: string
  init?: string
  /** finetune */
  model?: string
  adapter?: string
}

export interface TrainingSummaryLike {
  steps: number
  train_loss: number | null
  val_loss: number | null
  tokens_per_second: number
  wall_seconds: number
  interrupted: boolean
}

/** what a training run leaves in --out that is worth listing */
const TRAINING_ARTIFACTS = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'adapter_config.json', 'adapter_model.safetensors', 'metrics.jsonl', 'onnx']

/**
 * Start the record of a pretrain or finetune run: `step(metric)` logs each step as it happens
 * (the command forwards the trainer's step events), done/failed close it with the summary.
 */
export function trackTraining(kind: 'pretrain' | 'finetune', options: TrainingLike, resume: boolean, t: TrackOptions): { run: RunHandle; step(m: Record<string, number | undefined> & { step: number }): void; done(s: TrainingSummaryLike): void; failed(err: unknown): void } {
  const tokenizerFile = options.tokenizer && existsSync(options.tokenizer)
    ? (statSync(options.tokenizer).isDirectory() ? join(options.tokenizer, 'tokenizer.json') : options.tokenizer) : undefined
  const base = options.init ?? (options.model && existsSync(options.model) ? options.model : undefined)
  const run = startRun({
    kind, name: basename(resolve(options.out)), out: options.out, mlflow: t.mlflow, command: t.command, env: t.env,
    params: { ...options, resume },
    signature: {
      ...(base ? hashModelFolder(base) : {}),
      ...(tokenizerFile && existsSync(tokenizerFile) ? { tokenizer_sha256: hashData([tokenizerFile])[0]?.sha256 } : {}),
      data: hashData(options.data.filter((d) => existsSync(d))), seed: options.seed, device: options.device ?? 'cpu', versions: softwareVersions(t.llmVersion),
    },
  })
  const collect = () => {
    const tok = join(options.out, 'tokenizer.json')
    if (existsSync(tok)) run.updateSignature({ tokenizer_sha256: hashData([tok])[0]!.sha256 })
    for (const f of TRAINING_ARTIFACTS) if (existsSync(join(options.out, f))) run.logArtifact(join(options.out, f))
  }
  return {
    run,
    step(m) {
      const { step, ...values } = m
      run.logMetrics(step, values)
    },
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
