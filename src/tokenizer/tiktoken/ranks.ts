/**
 * Reading tiktoken rank data: the `.tiktoken` text format ("BASE64 RANK" per line, as served by
 * openaipublic and read by tiktoken's `load_tiktoken_bpe`) and the npm `tiktoken` package's
 * bundled encoders (`tiktoken/encoders/NAME.json`: `{pat_str, special_tokens, bpe_ranks}` where
 * `bpe_ranks` is lines of "! FIRST_RANK B64 B64 …" — consecutive ranks from FIRST_RANK).
 */
import { readTokenizerText } from '../read.js'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { LlmError } from '../../core/errors.js'

export type RankEntries = Array<readonly [Uint8Array, number]>

const B64 = /^[A-Za-z0-9+/]*={0,2}$/

function decodeB64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !B64.test(s)) return undefined
  return Buffer.from(s, 'base64')
}

/** Parse a `.tiktoken` file; any malformed line is an error naming the file and line number. */
export function parseTiktokenFile(path: string): RankEntries {
  const text = readTokenizerText(path)
  const entries: RankEntries = []
  const seen = new Set<number>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!
    if (line === '') continue
    const bad = (why: string): LlmError =>
      new LlmError(`line ${i + 1}: ${why}`, { where: path, hint: 'a .tiktoken file has one "BASE64 RANK" pair per line' })
    const sp = line.indexOf(' ')
    if (sp < 0 || line.indexOf(' ', sp + 1) >= 0) throw bad('expected "BASE64 RANK"')
    const bytes = decodeB64(line.slice(0, sp))
    if (bytes === undefined || bytes.length === 0) throw bad('invalid base64 token')
    const rankText = line.slice(sp + 1)
    if (!/^\d{1,9}$/.test(rankText)) throw bad(`invalid rank '${rankText.slice(0, 20)}'`)
    const rank = Number(rankText)
    if (seen.has(rank)) throw bad(`rank ${rank} appears twice`)
    seen.add(rank)
    entries.push([bytes, rank])
  }
  if (entries.length === 0) throw new LlmError('no ranks in file', { where: path, hint: 'a .tiktoken file has one "BASE64 RANK" pair per line' })
  return entries
}

export interface BundledEncoding {
  pattern: string
  specialTokens: Record<string, number>
  ranks: RankEntries
}

/** the file of an encoding bundled with the npm `tiktoken` package */
export function bundledEncodingPath(name: string): string {
  return createRequire(import.meta.url).resolve(`tiktoken/encoders/${name}.json`)
}

/** Read one of the encodings bundled with the npm `tiktoken` package (offline). */
export function readBundledEncoding(name: string, withRanks = true): BundledEncoding {
  const path = bundledEncodingPath(name)
  const json = JSON.parse(readFileSync(path, 'utf8')) as { pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string }
  const ranks: RankEntries = []
  for (const line of withRanks ? json.bpe_ranks.split('\n') : []) {
    if (line === '') continue
    const fields = line.split(' ')
    const first = Number(fields[1])
    for (let k = 2; k < fields.length; k++) {
      const bytes = decodeB64(fields[k]!)
      if (bytes === undefined) throw new LlmError(`corrupt bundled rank data (field ${k})`, { where: path, hint: 'reinstall the tiktoken npm package' })
      ranks.push([bytes, first + k - 2])
    }
  }
  return { pattern: json.pat_str, specialTokens: json.special_tokens, ranks }
}
