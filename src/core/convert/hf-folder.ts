/**
 * Write a Hugging Face Llama model folder: config.json, generation_config.json, model.safetensors,
 * tokenizer.json, tokenizer_config.json and onnx/model.onnx (Optimum / transformers.js layout).
 *
 * Everything is written into a temporary sibling folder first and renamed into place at the end,
 * so an interrupted conversion never leaves a half-written model under the requested name.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { replaceDir, writeFileAtomic } from '../atomic.js'
import { LlmError, fileError, usageError } from '../errors.js'
import { writeSafetensors, type SafeTensor } from '../safetensors.js'
import { paramSpecs, readModelConfig } from '../../kernels/model/index.js'
import { graphBytes } from './onnx.js'

export interface HfFolderContent {
  /** config.json as written (read back through readModelConfig first) */
  configJson: Record<string, unknown>
  weights: Map<string, SafeTensor>
  /** the other files, by name: generation_config.json, tokenizer files (objects are written as JSON) */
  files: Record<string, string | Uint8Array | Record<string, unknown>>
}

export interface WrittenFolder { dir: string; files: { path: string; bytes: number }[]; parameters: number }

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n'

/** Refuse to replace a non-empty folder unless `force`. */
export function checkOutputDir(out: string, force: boolean): void {
  if (!existsSync(out)) return
  if (!statSync(out).isDirectory()) throw usageError('exists and is not a folder', { where: out, hint: 'choose another --out' })
  if (readdirSync(out).length && !force) throw usageError('folder exists and is not empty', { where: out, hint: 'pass --force to replace it, or choose another --out' })
}

export function writeHfFolder(outDir: string, c: HfFolderContent, opts: { force?: boolean } = {}): WrittenFolder {
  const out = resolve(outDir)
  checkOutputDir(out, opts.force ?? false)
  const config = readModelConfig(c.configJson, join(out, 'config.json'))
  // the weights the folder will hold, in HF's order (lm_head only when not tied)
  const ordered = new Map<string, SafeTensor>()
  let parameters = 0
  for (const { name } of paramSpecs(config)) {
    const t = c.weights.get(name)
    if (!t) throw new LlmError(`weight '${name}' is missing`)
    ordered.set(name, t)
    parameters += t.data.length
  }
  // the graph is emitted before anything is written: a bad weight fails early
  const onnx = graphBytes(config, ordered, out)

  const tmp = join(dirname(out), `.${basename(out)}.tmp-${randomBytes(4).toString('hex')}`)
  const files: { path: string; bytes: number }[] = []
  const put = (rel: string, data: string | Uint8Array) => {
    writeFileAtomic(join(tmp, rel), data)
    files.push({ path: rel, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength })
  }
  try {
    put('config.json', json(c.configJson))
    writeSafetensors(join(tmp, 'model.safetensors'), ordered, { format: 'pt' })
    files.push({ path: 'model.safetensors', bytes: statSync(join(tmp, 'model.safetensors')).size })
    for (const [name, data] of Object.entries(c.files)) put(name, typeof data === 'string' || data instanceof Uint8Array ? data : json(data))
    put('onnx/model.onnx', onnx)
    replaceDir(tmp, out)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    // name OUT, not the temporary folder a file inside it failed in
    throw fileError(out, err instanceof LlmError && err.cause !== undefined ? err.cause : err, 'cannot write model folder')
  }
  return { dir: out, files, parameters }
}
