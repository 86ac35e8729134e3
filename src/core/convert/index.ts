/**
 * `llm convert`: bring a checkpoint into a Hugging Face model folder with `onnx/model.onnx`.
 *   --from llama2c   a llama2.c .bin + its tokenizer → a new Llama folder
 *   --from hf        a Hugging Face folder (safetensors, any supported family) → the same files
 *                    plus the inference graph, loadable by llm and transformers.js unchanged
 */
import { copyFileSync, existsSync, linkSync, readdirSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { mkdirs, replaceDir } from '../atomic.js'
import { LlmError, fileError, usageError } from '../errors.js'
import { Checkpoint } from '../model/checkpoint.js'
import { loadSentencePieceModel } from '../../tokenizer/sentencepiece/index.js'
import { llama2cToHfTokenizerJson, llamaTokenizerConfig, sentencePieceToHfTokenizerJson } from '../../tokenizer/sentencepiece/to-hf.js'
import { loadLlama2cTokenizer } from '../../tokenizer/llama2c/index.js'
import { readLlama2cCheckpoint } from './llama2c.js'
import { writeHfFolder, checkOutputDir, type WrittenFolder } from './hf-folder.js'
import { exportOnnx } from './onnx.js'
import { readSafetensors, writeSafetensors } from '../safetensors.js'
import { float32ToHalfArray } from '../runtime/fp16.js'

import { CONVERT_SOURCES, type ConvertSource } from './sources.js'
export { CONVERT_SOURCES, type ConvertSource } from './sources.js'
export { exportOnnx, graphBytes, writeGraph } from './onnx.js'

export interface ConvertOptions {
  /** default: hf for a folder, llama2c for a file */
  from?: ConvertSource
  src: string
  /** llama2c only */
  tokenizer?: string
  out: string
  force?: boolean
  /** --from hf: store the graph's weights in float16 (half the file; computed in float32) */
  storage?: 'float32' | 'float16'
}

export interface ConvertResult extends WrittenFolder {
  from: ConvertSource
  format: string
  family: string
  vocabSize: number
  layers: number
  hiddenSize: number
}

/** tokenizer.json + tokenizer_config.json from a SentencePiece .model or a llama2.c .bin */
function convertTokenizer(path: string): { json: Record<string, unknown>; vocabSize: number } {
  const name = basename(path).toLowerCase()
  if (name.endsWith('.model')) {
    const sp = loadSentencePieceModel(path)
    try {
      return { json: sentencePieceToHfTokenizerJson(sp, { addBos: true }), vocabSize: sp.vocabSize }
    } catch (e) {
      // the converter does not know the file: name it, so the one-line error says which one
      if (e instanceof LlmError && e.where === undefined) throw new LlmError(e.message, { where: path, hint: e.hint, exitCode: e.exitCode, cause: e })
      throw e
    }
  }
  if (name.endsWith('.bin')) {
    const tok = loadLlama2cTokenizer(path)
    return { json: llama2cToHfTokenizerJson(tok, { addBos: true }), vocabSize: tok.vocabSize }
  }
  throw usageError('unrecognised tokenizer file', { where: path, hint: '--tokenizer takes a SentencePiece .model or a llama2.c tokenizer .bin' })
}

export function convert(opts: ConvertOptions): ConvertResult {
  const from = opts.from ?? (existsSync(opts.src) && statSync(opts.src).isDirectory() ? 'hf' : 'llama2c')
  if (from === 'hf') return convertHf(opts)
  if (from !== 'llama2c') throw usageError(`unknown source format '${from as string}'`, { where: '--from', hint: `known: ${CONVERT_SOURCES.join(', ')}` })
  if (!opts.tokenizer) throw usageError('--from llama2c needs the model\'s tokenizer', { where: '--tokenizer', hint: 'pass --tokenizer tok.model (SentencePiece) or tokenizer.bin (llama2.c)' })
  checkOutputDir(opts.out, opts.force ?? false) // before the slow part
  const ckpt = readLlama2cCheckpoint(opts.src)
  const tok = convertTokenizer(opts.tokenizer)
  const h = ckpt.header
  if (tok.vocabSize !== h.vocab) {
    throw new LlmError(`tokenizer has ${tok.vocabSize} tokens but the checkpoint's vocabulary is ${h.vocab}`, { where: opts.tokenizer, hint: 'pass the tokenizer the model was trained with' })
  }
  const written = writeHfFolder(opts.out, {
    configJson: ckpt.configJson,
    weights: ckpt.weights,
    files: {
      'generation_config.json': { bos_token_id: 1, eos_token_id: 2 },
      'tokenizer.json': JSON.stringify(tok.json),
      'tokenizer_config.json': llamaTokenizerConfig(tok.json, { modelMaxLength: h.seqLen }),
    },
  }, { force: opts.force })
  return {
    ...written, from: 'llama2c', format: ckpt.version === 0 ? 'llama2.c legacy (v0)' : 'llama2.c v1', family: 'llama',
    vocabSize: h.vocab, layers: h.layers, hiddenSize: h.dim,
  }
}

/** SRC's safetensors with every F32 tensor stored as F16 (others as they are), metadata kept */
function halveSafetensors(from: string, to: string): void {
  const { tensors, metadata } = readSafetensors(from)
  for (const [name, t] of tensors) if (t.dtype === 'F32') tensors.set(name, { dtype: 'F16', shape: t.shape, data: float32ToHalfArray(t.data as Float32Array) })
  writeSafetensors(to, tensors, metadata)
}

/** files of a Hugging Face folder carried over as they are (weights are hard-linked when possible) */
const CARRIED = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|chat_template\.jinja|vocab\.json|merges\.txt|tokenizer\.model|.*\.safetensors|model\.safetensors\.index\.json|README\.md|LICENSE.*)$/

/**
 * SRC (config.json + safetensors) → OUT with the same files and onnx/model.onnx. OUT may be SRC
 * itself: then only onnx/ is added. Everything is checked (config fields, shapes, shards) before
 * anything is written, and a new OUT appears only when complete.
 */
function convertHf(opts: ConvertOptions): ConvertResult {
  const src = resolve(opts.src)
  const out = resolve(opts.out)
  const ck = Checkpoint.open(src)
  const c = ck.config
  const base = { from: 'hf' as const, format: `Hugging Face ${c.family} (${ck.dtype})`, family: c.family, vocabSize: c.vocabSize, layers: c.numLayers, hiddenSize: c.hiddenSize }
  const parameters = [...ck.shapes.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0)
  if (src === out) {
    const r = exportOnnx(src, { storage: opts.storage })
    return { ...base, dir: out, parameters, files: [{ path: 'onnx/model.onnx', bytes: r.bytes }] }
  }
  checkOutputDir(out, opts.force ?? false)
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${randomBytes(4).toString('hex')}`)
  const files: { path: string; bytes: number }[] = []
  try {
    mkdirs(tmp)
    for (const name of readdirSync(src)) {
      if (!CARRIED.test(name) || !statSync(join(src, name)).isFile()) continue
      if (opts.storage === 'float16' && name.endsWith('.safetensors')) halveSafetensors(join(src, name), join(tmp, name))
      else try { linkSync(join(src, name), join(tmp, name)) } catch { copyFileSync(join(src, name), join(tmp, name)) }
      files.push({ path: name, bytes: statSync(join(tmp, name)).size })
    }
    const r = exportOnnx(tmp, { storage: opts.storage })
    files.push({ path: 'onnx/model.onnx', bytes: r.bytes })
    replaceDir(tmp, out)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    throw fileError(out, err instanceof LlmError && err.cause !== undefined ? err.cause : err, 'cannot write model folder')
  }
  return { ...base, dir: out, parameters, files }
}
