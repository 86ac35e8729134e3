/**
 * `llm convert`: import a foreign checkpoint into a Hugging Face Llama folder.
 */
import { basename } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import { loadSentencePieceModel } from '../../tokenizer/sentencepiece/index.js'
import { llama2cToHfTokenizerJson, llamaTokenizerConfig, sentencePieceToHfTokenizerJson } from '../../tokenizer/sentencepiece/to-hf.js'
import { loadLlama2cTokenizer } from '../../tokenizer/llama2c/index.js'
import { readLlama2cCheckpoint } from './llama2c.js'
import { writeHfLlamaFolder, checkOutputDir, type WrittenFolder } from './hf-folder.js'

import { CONVERT_SOURCES, type ConvertSource } from './sources.js'
export { CONVERT_SOURCES, type ConvertSource } from './sources.js'

export interface ConvertOptions {
  from: ConvertSource
  src: string
  tokenizer: string
  out: string
  force?: boolean
}

export interface ConvertResult extends WrittenFolder {
  from: ConvertSource
  format: string
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
  if (opts.from !== 'llama2c') throw usageError(`unknown source format '${opts.from}'`, { where: '--from', hint: `known: ${CONVERT_SOURCES.join(', ')}` })
  checkOutputDir(opts.out, opts.force ?? false) // before the slow part
  const ckpt = readLlama2cCheckpoint(opts.src)
  const tok = convertTokenizer(opts.tokenizer)
  if (tok.vocabSize !== ckpt.config.vocabSize) {
    throw new LlmError(`tokenizer has ${tok.vocabSize} tokens but the checkpoint's vocabulary is ${ckpt.config.vocabSize}`, { where: opts.tokenizer, hint: 'pass the tokenizer the model was trained with' })
  }
  const written = writeHfLlamaFolder(opts.out, {
    config: ckpt.config,
    weights: ckpt.weights,
    tokenizerJson: tok.json,
    tokenizerConfig: llamaTokenizerConfig(tok.json, { modelMaxLength: ckpt.config.maxPositionEmbeddings }),
  }, { force: opts.force })
  return {
    ...written, from: 'llama2c', format: ckpt.version === 0 ? 'llama2.c legacy (v0)' : 'llama2.c v1',
    vocabSize: ckpt.config.vocabSize, layers: ckpt.config.numLayers, hiddenSize: ckpt.config.hiddenSize,
  }
}
