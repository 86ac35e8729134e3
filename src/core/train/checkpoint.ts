import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { LlmError, fileError } from '../errors.js'
import { mkdirs, replaceDir, writeFileAtomic } from '../atomic.js'
import { readSafetensors, writeSafetensors, type SafeTensor } from '../safetensors.js'
import { readJsonObject } from '../json.js'
import type { OptimizerState } from './engine.js'
import type { TrainOptions } from './options.js'

/**
 * A run folder holds the job's outputs (a Hugging Face model folder for pretrain and full
 * fine-tuning, a PEFT adapter for LoRA) plus what `--resume` needs:
 *
 *   checkpoint/state.json             step, sampler state, options, clock, job extras
 *   checkpoint/model.safetensors      the trained tensors (pretrain links model.safetensors to it)
 *   checkpoint/optimizer.safetensors  AdamW moments, `m.<name>` and `v.<name>`
 *   metrics.jsonl                     one line per step up to the checkpoint
 *
 * Saving is atomic as a whole: the new checkpoint is written into a temp folder, then the old
 * `checkpoint/` is renamed aside, the temp folder renamed into place and the old one removed.
 * A crash at any moment leaves either `checkpoint/` or `.checkpoint-old/` complete; loading
 * falls back to the latter.
 */
export const STATE_FORMAT = 'llm-train-state'
export const STATE_VERSION = 2

export interface RunState {
  format: typeof STATE_FORMAT
  version: number
  kind: 'pretrain' | 'finetune'
  /** optimisation steps done */
  step: number
  /** the batch source's state (JSON) */
  sampler: unknown
  options: TrainOptions
  /** sha256 of the training data as tokens: resuming on other data is refused */
  dataHash: string
  /** wall-clock seconds of training so far (all sessions) */
  wallSeconds: number
  trainLoss?: number
  valLoss?: number
  /** job-specific (e.g. the LoRA setup) */
  extra?: Record<string, unknown>
}

export interface Checkpoint {
  state: RunState
  params: Map<string, Float32Array>
  optimizer: OptimizerState
}

function f32(shape: number[], data: Float32Array): SafeTensor {
  return { dtype: 'F32', shape, data }
}

/**
 * Save checkpoint/ atomically, then let the job rewrite its outputs (`writeOutputs(dir,
 * checkpointWeightsFile)`), then metrics.jsonl.
 */
export function saveCheckpoint(dir: string, ck: Checkpoint, shapes: Map<string, number[]>, metricsLines: string[], writeOutputs: (dir: string, weightsFile: string) => void): void {
  mkdirs(dir)
  const tmp = join(dir, `.checkpoint-tmp-${randomBytes(4).toString('hex')}`)
  const final = join(dir, 'checkpoint')
  try {
    mkdirSync(tmp)
    const meta = { format: 'pt', step: String(ck.state.step) }
    const weights = new Map<string, SafeTensor>()
    for (const [name, data] of ck.params) weights.set(name, f32(shapes.get(name)!, data))
    writeSafetensors(join(tmp, 'model.safetensors'), weights, meta)
    const moments = new Map<string, SafeTensor>()
    for (const [name, data] of ck.optimizer.m) moments.set(`m.${name}`, f32(shapes.get(name)!, data))
    for (const [name, data] of ck.optimizer.v) moments.set(`v.${name}`, f32(shapes.get(name)!, data))
    writeSafetensors(join(tmp, 'optimizer.safetensors'), moments, { ...meta, adam_step: String(ck.optimizer.step) })
    writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(ck.state, null, 2) + '\n')
    replaceDir(tmp, final, join(dir, '.checkpoint-old'))
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true })
    throw fileError(dir, e, 'cannot save checkpoint')
  }
  writeOutputs(dir, join(final, 'model.safetensors'))
  writeFileAtomic(join(dir, 'metrics.jsonl'), metricsLines.map((l) => l + '\n').join(''))
}

/**
 * Put `file` at `dest` as a hard link (no second copy of the weights; a copy where the file
 * system has no hard links), renamed over the old one so readers never see a missing or
 * half-written file.
 */
export function linkInto(file: string, dest: string): void {
  const tmp = `${dest}.${randomBytes(4).toString('hex')}.tmp`
  try {
    linkSync(file, tmp)
  } catch {
    copyFileSync(file, tmp)
  }
  renameSync(tmp, dest)
}

/** true if DIR holds a checkpoint (complete, or the fallback of an interrupted save) */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint', 'state.json')) || existsSync(join(dir, '.checkpoint-old', 'state.json'))
}

export function loadCheckpoint(dir: string): Checkpoint & { metricsLines: string[] } {
  const where = [join(dir, 'checkpoint'), join(dir, '.checkpoint-old')].find((d) => existsSync(join(d, 'state.json')))
  if (!where) throw new LlmError('no checkpoint to resume from', { where: dir, hint: 'run without --resume to start a new run here' })
  const state = readJsonObject(join(where, 'state.json'), { hint: 'the run state is damaged; start a new run' }) as unknown as RunState
  if (state.format !== STATE_FORMAT || state.version !== STATE_VERSION) {
    throw new LlmError(`unsupported run state (format ${String(state.format)} v${String(state.version)})`, { where: join(where, 'state.json'), hint: 'it was written by another version of llm; start a new run' })
  }
  const weights = readSafetensors(join(where, 'model.safetensors'))
  const moments = readSafetensors(join(where, 'optimizer.safetensors'))
  const params = new Map<string, Float32Array>()
  for (const [name, t] of weights.tensors) params.set(name, t.data as Float32Array)
  const m = new Map<string, Float32Array>()
  const v = new Map<string, Float32Array>()
  for (const [name, t] of moments.tensors) (name.startsWith('m.') ? m : v).set(name.slice(2), t.data as Float32Array)
  const optimizer = { m, v, step: Number(moments.metadata.adam_step ?? state.step) }
  // metrics past the checkpoint belong to steps that will be redone
  let metricsLines: string[] = []
  const mpath = join(dir, 'metrics.jsonl')
  if (existsSync(mpath)) {
    metricsLines = readFileSync(mpath, 'utf8').split('\n').filter((l) => {
      if (!l.trim()) return false
      try {
        return (JSON.parse(l) as { step: number }).step <= state.step
      } catch {
        return false
      }
    })
  }
  return { state, params, optimizer, metricsLines }
}
