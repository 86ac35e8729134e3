import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { byteTokenizer, charAlphabet, charTokenizer } from './simple-tokenizers.js'

/**
 * `--tokenizer PATH|bytes|char|bpe:N`: which tokenizer turns the text data into ids, and the
 * Hugging Face files to save beside the model so `llm generate -m DIR` can use it.
 */
export type TokenizerSpec =
  | { kind: 'bytes' }
  | { kind: 'char' }
  | { kind: 'bpe'; vocabSize: number }
  | { kind: 'path'; path: string }

export function parseTokenizerSpec(value: string): TokenizerSpec {
  if (value === 'bytes' || value === 'char') return { kind: value }
  const bpe = /^bpe:(\d+)$/.exec(value)
  if (bpe) {
    const n = Number(bpe[1])
    if (n < 257) throw usageError(`bpe vocabulary ${n} is too small`, { where: '--tokenizer', hint: 'bpe:N needs N >= 257 (256 bytes + at least one merge)' })
    return { kind: 'bpe', vocabSize: n }
  }
  if (value.startsWith('bpe:')) throw usageError(`bad value '${value}'`, { where: '--tokenizer', hint: 'write bpe:N with N the vocabulary size, e.g. bpe:4096' })
  return { kind: 'path', path: value }
}

export interface ResolvedTokenizer {
  tokenizer: Tokenizer
  /** tokenizer.json text to save with the model, when the tokenizer has one */
  hfJson?: string
  /** tokenizer_config.json text to save (transformers.js needs one beside tokenizer.json) */
  hfConfigJson?: string
  /** stable identity for the token cache key */
  identity: string
}

/** Build or load the tokenizer; `texts` are the text documents (char and bpe learn from them). */
export async function resolveTokenizer(spec: TokenizerSpec, texts: () => string[]): Promise<ResolvedTokenizer> {
  if (spec.kind === 'bytes' || spec.kind === 'char') {
    const tok = spec.kind === 'bytes' ? byteTokenizer() : charTokenizer(charAlphabet(texts()))
    const hfJson = JSON.stringify(tok.toHfJson())
    return { tokenizer: tok, hfJson, hfConfigJson: defaultTokenizerConfig(), identity: hfJson }
  }
  if (spec.kind === 'bpe') return trainBpe(spec.vocabSize, texts())
  return loadFromPath(spec.path)
}

function defaultTokenizerConfig(): string {
  // transformers.js refuses a folder without tokenizer_config.json (stack-notes); keep it minimal.
  return JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', clean_up_tokenization_spaces: false, model_max_length: 1e30 }, null, 2)
}

async function loadFromPath(path: string): Promise<ResolvedTokenizer> {
  const { loadTokenizer } = await import('../../tokenizer/load.js')
  let tokenizer: Tokenizer
  try {
    tokenizer = loadTokenizer(path)
  } catch (e) {
    if (e instanceof LlmError) throw new LlmError(e.message, { where: e.where ?? path, hint: e.hint ?? 'check --tokenizer' })
    throw e
  }
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : undefined
  const jsonPath = dir ? join(dir, 'tokenizer.json') : path.toLowerCase().endsWith('.json') ? path : undefined
  const hfJson = jsonPath && existsSync(jsonPath) ? readFileSync(jsonPath, 'utf8') : undefined
  const cfgPath = join(dir ?? join(path, '..'), 'tokenizer_config.json')
  const hfConfigJson = hfJson ? (existsSync(cfgPath) ? readFileSync(cfgPath, 'utf8') : defaultTokenizerConfig()) : undefined
  const identity = hfJson ?? readFileSync(dir ? join(dir, 'tokenizer.model') : path).toString('base64')
  return { tokenizer, hfJson, hfConfigJson, identity }
}

interface BpeTrainerModule {
  trainBpe?: (texts: string[], opts: { vocabSize: number }) => unknown
}

/** bpe:N — train a byte-level BPE with the tokenizer trainer (src/tokenizer/train/). */
async function trainBpe(vocabSize: number, texts: string[]): Promise<ResolvedTokenizer> {
  let mod: BpeTrainerModule
  try {
    mod = (await import('../../tokenizer/train/index.js' as string)) as BpeTrainerModule
  } catch {
    throw new LlmError('the BPE trainer is not available in this build', { where: '--tokenizer', hint: 'use --tokenizer bytes|char or a tokenizer.json path' })
  }
  if (typeof mod.trainBpe !== 'function') throw new LlmError('the BPE trainer module has no trainBpe()', { where: '--tokenizer' })
  const trained = (await mod.trainBpe(texts, { vocabSize })) as { tokenizer?: Tokenizer; toHfJson?: () => unknown } & Partial<Tokenizer>
  const tokenizer = (trained.tokenizer ?? trained) as Tokenizer
  const json = trained.toHfJson?.() ?? (tokenizer as { toHfJson?: () => unknown }).toHfJson?.()
  const hfJson = json === undefined ? undefined : typeof json === 'string' ? json : JSON.stringify(json)
  if (!hfJson) throw new LlmError('the BPE trainer gave no tokenizer.json', { where: '--tokenizer' })
  return { tokenizer, hfJson, hfConfigJson: defaultTokenizerConfig(), identity: hfJson }
}
