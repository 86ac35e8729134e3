/**
 * The input side of `llm summarize`, light enough for the command to import at start-up: what
 * --length means, and bytes → document text (refusing empty and binary input).
 */
import { usageError } from '../errors.js'

export type Length = 'short' | 'medium' | 'long'
export type Method = 'abstractive' | 'extractive'

/** --length → words (abstractive) and sentences (extractive) */
export const LENGTHS: Record<Length, { words: number; sentences: number }> = {
  short: { words: 50, sentences: 3 },
  medium: { words: 120, sentences: 5 },
  long: { words: 250, sentences: 10 },
}

/**
 * Input bytes → text. Refuses what is not a document: empty or blank input (a usage error, exit
 * 2), NUL bytes or invalid UTF-8 (binary data). A UTF-8 BOM is dropped.
 */
export function decodeDocument(bytes: Uint8Array, where: string): string {
  const nul = bytes.indexOf(0)
  if (nul !== -1) throw usageError(`this looks like binary data (a NUL byte at offset ${nul}), not text`, { where, hint: 'summarize a text file (UTF-8)' })
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw usageError('this is not UTF-8 text (binary data, or another encoding)', { where, hint: 'convert it to UTF-8 first, e.g. iconv -f LATIN1 -t UTF-8' })
  }
  if (text.trim() === '') throw usageError('the input is empty', { where, hint: 'pipe a document on stdin or name a text file' })
  return text
}

