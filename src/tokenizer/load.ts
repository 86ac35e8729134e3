import { existsSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { LlmError } from '../core/errors.js'
import type { Tokenizer } from './types.js'
import { loadHfTokenizer } from './hf/index.js'
import { loadTiktokenFile } from './tiktoken/index.js'
import { loadSentencePieceModel } from './sentencepiece/index.js'
import { loadLlama2cTokenizer } from './llama2c/index.js'

/**
 * Open a tokenizer from a path: a Hugging Face `tokenizer.json`, a model folder (its
 * tokenizer.json, else tokenizer.model), a SentencePiece `.model`, a llama2.c `tokenizer.bin`,
 * or a `.tiktoken` rank file.
 */
export function loadTokenizer(path: string): Tokenizer {
  if (!existsSync(path)) throw new LlmError('no such file or directory', { where: path, hint: 'pass a tokenizer.json, a model folder, a .model, a llama2.c .bin or a .tiktoken file' })
  if (statSync(path).isDirectory()) {
    for (const f of ['tokenizer.json', 'tokenizer.model']) {
      const p = join(path, f)
      if (existsSync(p)) return loadTokenizer(p)
    }
    throw new LlmError('no tokenizer.json or tokenizer.model in this folder', { where: path })
  }
  const name = basename(path).toLowerCase()
  if (name.endsWith('.json')) return loadHfTokenizer(path)
  if (name.endsWith('.tiktoken')) return loadTiktokenFile(path)
  if (name.endsWith('.model')) return loadSentencePieceModel(path)
  if (name.endsWith('.bin')) return loadLlama2cTokenizer(path)
  throw new LlmError('unrecognised tokenizer file type', { where: path, hint: 'expected .json, .model, .bin or .tiktoken' })
}
