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

/** Build or load the tokenizer; char learns from the text documents, bpe from the text files. */
export async function resolveTokenizer(spec: TokenizerSpec, texts: () => string[], textFiles: () => string[]): Promise<ResolvedTokenizer> {
  if (spec.kind === 'bytes' || spec.kind === 'char') {
    const tok = spec.kind === 'bytes' ? byteTokenizer() : charTokenizer(charAlphabet(texts()))
    const hfJson = JSON.stringify(tok.toHfJson())
    return { tokenizer: tok, hfJson, hfConfigJson: defaultTokenizerConfig(), identity: hfJson }
  }
  if (spec.kind === 'bpe') return trainBpe(spec.vocabSize, textFiles())
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

/** the end-of-text token a trained BPE gets: it separates JSONL documents and ends generation */
const BPE_EOS = '<|endoftext|>'

/** bpe:N — train a byte-level BPE (src/tokenizer/train) on the text files of the data. */
async function trainBpe(vocabSize: number, files: string[]): Promise<ResolvedTokenizer> {
  const { trainTokenizer } = await import('../../tokenizer/train/index.js')
  if (files.length === 0) throw usageError('bpe:N learns from text, but the data has only token files', { where: '--tokenizer' })
  const { tokenizer: tok } = trainTokenizer(files, { vocabSize, specialTokens: [BPE_EOS] })
  const eos = tok.specialTokens.get(BPE_EOS)
  const tokenizer: Tokenizer = {
    kind: tok.kind, vocabSize: tok.vocabSize, eosTokenId: eos, specialTokens: tok.specialTokens,
    encode: (t, o) => tok.encode(t, o), decode: (ids, o) => tok.decode(ids, o),
    idToToken: (id) => tok.idToToken(id), tokenToId: (t) => tok.tokenToId(t),
  }
  const hfJson = JSON.stringify(tok.toTokenizerJson())
  const cfg = JSON.parse(defaultTokenizerConfig()) as Record<string, unknown>
  return { tokenizer, hfJson, hfConfigJson: JSON.stringify({ ...cfg, eos_token: BPE_EOS }, null, 2), identity: hfJson }
}
