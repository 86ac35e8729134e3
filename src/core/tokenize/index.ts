import { LlmError, usageError } from '../errors.js'
import type { EncodeOptions, Tokenizer } from '../../tokenizer/types.js'

export { countStream, encodeStream, readText } from './stream.js'

export interface TokenizerChoice {
  /** a tokenizer file or a model folder */
  tokenizer?: string
  /** a tiktoken encoding name */
  encoding?: string
}

/**
 * Open the tokenizer a command was pointed at (exactly one of --tokenizer / --encoding). Only
 * the loader needed is imported: `--encoding` never loads the Hugging Face, SentencePiece or
 * llama2.c code (start-up time).
 */
export async function openTokenizer(choice: TokenizerChoice): Promise<Tokenizer> {
  if (choice.tokenizer && choice.encoding) {
    throw usageError('give either --tokenizer or --encoding, not both', { where: '--encoding' })
  }
  if (choice.encoding) return (await import('../../tokenizer/tiktoken/index.js')).loadTiktokenEncoding(choice.encoding)
  if (choice.tokenizer) return (await import('../../tokenizer/load.js')).loadTokenizer(choice.tokenizer)
  throw usageError('no tokenizer given', {
    where: '--tokenizer',
    hint: 'pass --tokenizer PATH (tokenizer.json, model folder, .model, .bin, .tiktoken) or --encoding NAME (e.g. cl100k_base)',
  })
}

/** the encode options of the tokenize flags (--add-special, --special) */
export function encodeOptions(o: { addSpecialTokens?: boolean; allowSpecial?: boolean }): EncodeOptions {
  return { addSpecialTokens: o.addSpecialTokens ?? false, allowedSpecial: o.allowSpecial ? 'all' : 'none' }
}

/** each id's piece as the tokenizer's vocabulary spells it (or its decoded text) */
export function tokenStrings(tok: Tokenizer, ids: readonly number[]): string[] {
  return ids.map((id) => tok.idToToken(id) ?? tok.decode([id]))
}

/**
 * Parse a JSON array of ids (as `llm tokenize --ids` prints) and check each against the vocabulary.
 * `source` names where the text came from, for the error line.
 */
export function parseIds(text: string, vocabSize: number, source: string): number[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new LlmError('expected a JSON array of token ids, e.g. [15496, 11, 995]', { where: source, hint: 'this is what `llm tokenize --ids` prints' })
  }
  if (!Array.isArray(value)) throw new LlmError('expected a JSON array of token ids', { where: source })
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new LlmError(`element ${i} is not an integer id: ${JSON.stringify(v)}`, { where: source })
    if (v < 0 || v >= vocabSize) throw new LlmError(`id ${v} (element ${i}) is out of range: the vocabulary has ids 0..${vocabSize - 1}`, { where: source })
  })
  return value as number[]
}
