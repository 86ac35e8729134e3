/**
 * `llm quantize SRC --to int8|q4 --out DIR`: weight-only quantization of a model folder's ONNX
 * decoder (onnx.ts), written as transformers.js names the variants (onnx/model_int8.onnx,
 * onnx/model_q4.onnx) so that `llm … --dtype q4` and transformers.js' `{ dtype: 'q4' }` pick it.
 *
 * DIR = SRC adds the file beside model.onnx. Another DIR gets SRC's configuration and tokenizer
 * files (not its other ONNX files) and the quantized model, staged and renamed into place whole.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { mkdirs, replaceDir, writeFileAtomic } from '../atomic.js'
import { LlmError, fileError, usageError } from '../errors.js'
import { readModelFolder } from '../model/folder.js'
import { quantizeGraph } from './onnx.js'

export const QUANTIZE_TARGETS = {
  int8: { bits: 8, file: 'onnx/model_int8.onnx' },
  q4: { bits: 4, file: 'onnx/model_q4.onnx' },
} as const
export type QuantizeTarget = keyof typeof QUANTIZE_TARGETS

export interface QuantizeOptions { src: string; to: QuantizeTarget; out: string; force?: boolean }

export interface QuantizeResult {
  dir: string
  file: string
  source: string
  bits: number
  weights: number
  skipped: { name: string; why: string }[]
  bytes: number
  /** float weight bytes replaced, and their quantized size */
  weightBytesBefore: number
  weightBytesAfter: number
}

export function quantizeModel(opts: QuantizeOptions): QuantizeResult {
  const src = resolve(opts.src)
  const out = resolve(opts.out)
  const target = QUANTIZE_TARGETS[opts.to]
  if (!target) throw usageError(`unknown --to '${String(opts.to)}'`, { where: '--to', hint: `one of ${Object.keys(QUANTIZE_TARGETS).join(', ')}` })
  const folder = readModelFolder(src, { dtype: 'fp32' })
  const same = out === src
  if (!same && existsSync(out)) {
    if (!statSync(out).isDirectory()) throw usageError('exists and is not a folder', { where: out, hint: 'choose another --out' })
    if (readdirSync(out).length && !opts.force) throw usageError('folder exists and is not empty', { where: out, hint: 'pass --force to replace it, or choose another --out' })
  }
  if (same && existsSync(join(out, target.file)) && !opts.force) throw usageError(`${target.file} exists`, { where: out, hint: 'pass --force to replace it' })

  let bytes: Uint8Array
  try { bytes = readFileSync(folder.onnxFile) } catch (err) { throw fileError(folder.onnxFile, err) }
  const q = quantizeGraph(bytes, { bits: target.bits, folder: dirname(folder.onnxFile), where: folder.onnxFile })

  const result = (dir: string): QuantizeResult => ({
    dir, file: join(dir, target.file), source: folder.onnxFile, bits: target.bits, weights: q.quantized.length, skipped: q.skipped,
    bytes: q.model.byteLength, weightBytesBefore: q.bytesBefore, weightBytesAfter: q.bytesAfter,
  })
  if (same) {
    writeFileAtomic(join(out, target.file), q.model)
    return result(out)
  }
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${randomBytes(4).toString('hex')}`)
  try {
    mkdirs(tmp)
    // configuration, tokenizer and docs travel; other ONNX variants and weights do not
    for (const name of readdirSync(src)) {
      const p = join(src, name)
      if (statSync(p).isFile() && !/\.(onnx|onnx_data|onnx\.data|safetensors|bin|gguf)$/.test(name) && !name.startsWith('.')) copyFileSync(p, join(tmp, name))
    }
    writeFileAtomic(join(tmp, target.file), q.model)
    replaceDir(tmp, out)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    throw err instanceof LlmError ? err : fileError(out, err, 'cannot write model folder')
  }
  return result(out)
}
