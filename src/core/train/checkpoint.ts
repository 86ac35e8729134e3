import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { LlmError, fileError } from '../errors.js'
import { mkdirs, replaceDir, writeFileAtomic } from '../atomic.js'
import { readSafetensors, writeSafetensors, type SafeTensor } from '../safetensors.js'
import type { SamplerState } from '../data/batches.js'
import type { LlamaConfig, OptimizerState } from './engine.js'
import type { TrainOptions } from './options.js'
import { exportOnnx } from './export.js'

/**
 * A run folder is a Hugging Face model folder (config.json, model.safetensors, tokenizer.json,
 * generation_config.json, onnx/model.onnx) plus what `--resume` needs:
 *
 *   checkpoint/state.json          step, sampler (RNG + position), options, config, clock
 *   checkpoint/model.safetensors   weights (the top-level model.safetensors is a hard link to it)
 *   checkpoint/optimizer.safetensors  AdamW moments, `m.<name>` and `v.<name>`
 *   metrics.jsonl                  one line per step up to the checkpoint
 *
 * Saving is atomic as a whole: the new checkpoint is written into a temp folder, then the old
 * `checkpoint/` is renamed aside, the temp folder renamed into place and the old one removed.
 * A crash at any moment leaves either `checkpoint/` or `.checkpoint-old/` complete; loading
 * falls back to the latter.
 */
export const STATE_FORMAT = 'llm-pretrain-state'
export const STATE_VERSION = 1

export interface RunState {
  format: typeof STATE_FORMAT
  version: number
  /** optimisation steps done */
  step: number
  sampler: SamplerState
  options: TrainOptions
  config: LlamaConfig
  /** sha256 of the training token stream: resuming on other data is refused */
  dataHash: string
  /** wall-clock seconds of training so far (all sessions) */
  wallSeconds: number
  trainLoss?: number
  valLoss?: number
}

export interface Checkpoint {
  state: RunState
  params: Map<string, Float32Array>
  optimizer: OptimizerState
}

/** everything outside checkpoint/ that is rewritten at each save */
export interface FolderFiles {
  hfConfig: Record<string, unknown>
  generationConfig: Record<string, unknown>
  tokenizerJson?: string
  tokenizerConfigJson?: string
  metricsLines: string[]
}

function f32(shape: number[], data: Float32Array): SafeTensor {
  return { dtype: 'F32', shape, data }
}

export function saveCheckpoint(dir: string, ck: Checkpoint, shapes: Map<string, number[]>, files: FolderFiles): void {
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
  writeModelFolder(dir, files)
}

/** The Hugging Face files beside checkpoint/, each replaced atomically. */
function writeModelFolder(dir: string, files: FolderFiles): void {
  const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n'
  writeFileAtomic(join(dir, 'config.json'), json(files.hfConfig))
  writeFileAtomic(join(dir, 'generation_config.json'), json(files.generationConfig))
  if (files.tokenizerJson) writeFileAtomic(join(dir, 'tokenizer.json'), files.tokenizerJson)
  if (files.tokenizerConfigJson) writeFileAtomic(join(dir, 'tokenizer_config.json'), files.tokenizerConfigJson)
  // model.safetensors: a hard link to the checkpoint's copy (no second copy of the weights),
  // renamed over the old one so readers never see a missing or half-written file.
  const tmp = join(dir, `.model.safetensors.${randomBytes(4).toString('hex')}.tmp`)
  try {
    linkSync(join(dir, 'checkpoint', 'model.safetensors'), tmp)
  } catch {
    copyFileSync(join(dir, 'checkpoint', 'model.safetensors'), tmp) // file systems without hard links
  }
  renameSync(tmp, join(dir, 'model.safetensors'))
  exportOnnx(dir)
  writeFileAtomic(join(dir, 'metrics.jsonl'), files.metricsLines.map((l) => l + '\n').join(''))
}

/** true if DIR holds a checkpoint (complete, or the fallback of an interrupted save) */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint', 'state.json')) || existsSync(join(dir, '.checkpoint-old', 'state.json'))
}

export function loadCheckpoint(dir: string): Checkpoint & { metricsLines: string[] } {
  const where = [join(dir, 'checkpoint'), join(dir, '.checkpoint-old')].find((d) => existsSync(join(d, 'state.json')))
  if (!where) throw new LlmError('no checkpoint to resume from', { where: dir, hint: 'run without --resume to start a new run here' })
  let state: RunState
  try {
    state = JSON.parse(readFileSync(join(where, 'state.json'), 'utf8')) as RunState
  } catch (e) {
    throw fileError(join(where, 'state.json'), e, 'cannot read run state')
  }
  if (state.format !== STATE_FORMAT || state.version !== STATE_VERSION) {
    throw new LlmError(`unsupported run state (format ${String(state.format)} v${String(state.version)})`, { where: join(where, 'state.json') })
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
