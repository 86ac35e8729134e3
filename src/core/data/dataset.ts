import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError, fileError } from '../errors.js'
import { writeFileAtomic } from '../atomic.js'
import { parseJsonl } from '../json.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { encodeTokenFile, isTokenFile, readTokenFile } from './tokens-file.js'

/**
 * Training data: text files, JSONL files (one `{"text": …}` document per line) and llm.c token
 * files (used as they are), concatenated in the order given into one token stream.
 * Tokenizing text is cached as an llm.c token file in `cacheDir`, keyed by the hash of the data
 * files and of the tokenizer, so a resumed run (or a second run on the same data) skips it.
 */
export type DataFile = { path: string; kind: 'tokens' } | { path: string; kind: 'text' | 'jsonl'; docs: string[] }

export function readDataFile(path: string): DataFile {
  if (!existsSync(path)) throw fileError(path, Object.assign(new Error(), { code: 'ENOENT' }), 'cannot read data file')
  if (isTokenFile(path)) return { path, kind: 'tokens' }
  if (path.toLowerCase().endsWith('.bin')) readTokenFile(path) // a .bin that is not a token file: say why, naming it
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw fileError(path, e, 'cannot read data file')
  }
  if (!/\.jsonl$/i.test(path)) return { path, kind: 'text', docs: [text] }
  const docs: string[] = []
  const hint = 'JSONL data needs one {"text": "..."} object per line'
  for (const { value, line } of parseJsonl(text, path, { hint })) {
    const t = (value as { text?: unknown } | null)?.text
    if (typeof t !== 'string') throw new LlmError('no string "text" field on this line', { where: `${path}:${line}`, hint })
    docs.push(t)
  }
  return { path, kind: 'jsonl', docs }
}

/** every text document of the data, for tokenizers that learn from it (char, bpe) */
export function textDocuments(files: DataFile[]): string[] {
  return files.flatMap((f) => (f.kind === 'tokens' ? [] : f.docs))
}

export interface TokenStream { tokens: Uint32Array; cached: boolean; cacheFile?: string }

export function loadTokenStream(files: DataFile[], tokenizer: Tokenizer | undefined, tokenizerIdentity: string, cacheDir: string): TokenStream {
  const hasText = files.some((f) => f.kind !== 'tokens')
  if (hasText && !tokenizer) throw new LlmError('text data needs a tokenizer', { where: '--tokenizer', hint: 'pass --tokenizer bytes|char|bpe:N|PATH' })
  let cacheFile: string | undefined
  if (hasText) {
    const h = createHash('sha256').update('llm-tokens-v1\0').update(tokenizerIdentity).update('\0')
    for (const f of files) h.update(f.kind).update('\0').update(readFileSync(f.path)).update('\0')
    cacheFile = join(cacheDir, `tokens-${h.digest('hex').slice(0, 24)}.bin`)
    if (existsSync(cacheFile)) return { tokens: readTokenFile(cacheFile), cached: true, cacheFile }
  }
  const parts: Uint32Array[] = []
  for (const f of files) {
    if (f.kind === 'tokens') {
      parts.push(readTokenFile(f.path))
      continue
    }
    // documents of a JSONL file are separated by EOS when the tokenizer has one, else by a newline
    const sep = tokenizer!.eosTokenId !== undefined ? [tokenizer!.eosTokenId] : tokenizer!.encode('\n')
    const ids: number[] = []
    f.docs.forEach((d, i) => {
      if (i > 0) for (const s of sep) ids.push(s)
      for (const id of tokenizer!.encode(d)) ids.push(id)
    })
    parts.push(Uint32Array.from(ids))
  }
  const total = parts.reduce((n, p) => n + p.length, 0)
  const tokens = new Uint32Array(total)
  let off = 0
  for (const p of parts) {
    tokens.set(p, off)
    off += p.length
  }
  if (cacheFile) writeFileAtomic(cacheFile, encodeTokenFile(tokens, tokenizer!.vocabSize))
  return { tokens, cached: false, cacheFile }
}

/** nanoGPT's split: the first (1 − f) of the stream trains, the rest validates. */
export function splitTrainVal(tokens: Uint32Array, valFraction: number): { train: Uint32Array; val: Uint32Array } {
  const n = Math.floor(tokens.length * (1 - valFraction))
  return { train: tokens.subarray(0, n), val: tokens.subarray(n) }
}

/** largest id + 1 (the vocabulary a token file needs) */
export function maxTokenPlusOne(tokens: Uint32Array): number {
  let m = -1
  for (let i = 0; i < tokens.length; i++) if (tokens[i] > m) m = tokens[i]
  return m + 1
}
