/**
 * OpenAI's tiktoken encodings, offline: rank data comes from the npm `tiktoken` package's bundled
 * encoders (a runtime dependency), read lazily, cached per process, and compiled once into
 * `$LLM_HOME/cache/tiktoken/` so later processes start without building the rank table
 * (tiktoken/cache.ts; `LLM_TOKENIZER_CACHE=0` turns that off).
 *
 * A bare `.tiktoken` rank file carries no pattern and no special tokens. `loadTiktokenFile`
 * recognises the four known encodings by content (same rank count, then every rank compared with
 * the bundled data) and takes their pattern and special tokens; any other file gets cl100k_base's
 * pattern (also Llama 3's) and no special tokens, unless `opts` supplies them.
 */
import { endianness } from 'node:os'
import { usageError } from '../../core/errors.js'
import { TiktokenEncoding } from './encoding.js'
import { type BundledEncoding, type RankEntries, bundledEncodingPath, parseTiktokenFile, readBundledEncoding } from './ranks.js'
import { cachePath, readCompiled, sourceKey, writeCompiled } from './cache.js'
import type { TiktokenSpec } from './encoding.js'

export { TiktokenEncoding } from './encoding.js'

export const TIKTOKEN_ENCODINGS = ['r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base'] as const
export type TiktokenEncodingName = (typeof TIKTOKEN_ENCODINGS)[number]

/** number of mergeable ranks in each bundled encoding: a cheap first test before comparing */
const RANK_COUNTS: Record<TiktokenEncodingName, number> = { r50k_base: 50256, p50k_base: 50280, cl100k_base: 100256, o200k_base: 199998 }

const loaded = new Map<string, TiktokenEncoding>()

function isEncodingName(name: string): name is TiktokenEncodingName {
  return (TIKTOKEN_ENCODINGS as readonly string[]).includes(name)
}

/** One of tiktoken's named encodings (r50k_base, p50k_base, cl100k_base, o200k_base). */
export function loadTiktokenEncoding(name: string): TiktokenEncoding {
  if (!isEncodingName(name)) {
    throw usageError(`unknown encoding '${name}'`, { where: '--encoding', hint: `known encodings: ${TIKTOKEN_ENCODINGS.join(', ')}` })
  }
  let enc = loaded.get(name)
  if (enc === undefined) {
    enc = loadCompiled(name, bundledEncodingPath(name), () => ({ name, ...readBundledEncoding(name) }))
    loaded.set(name, enc)
  }
  return enc
}

/**
 * The encoding `name` from its compiled cache (tiktoken/cache.ts) when that was built from
 * `source` as it is now; else built by `build()` and cached for the next process.
 */
function loadCompiled(name: string, source: string, build: () => TiktokenSpec): TiktokenEncoding {
  const usable = endianness() === 'LE' && process.env.LLM_TOKENIZER_CACHE !== '0'
  const key = usable ? sourceKey(source) : ''
  const path = cachePath(name)
  const hit = usable ? readCompiled(path, key) : undefined
  if (hit) return new TiktokenEncoding({ name, pattern: hit.pattern, specialTokens: hit.specialTokens, ranks: hit.table, regexSource: hit.regexSource })
  const spec = build()
  const enc = new TiktokenEncoding(spec)
  if (usable) writeCompiled(path, key, { pattern: spec.pattern, specialTokens: { ...spec.specialTokens }, ...enc.compiled() })
  return enc
}

export interface TiktokenFileOptions {
  /** split pattern (Rust regex syntax); default: the recognised encoding's, else cl100k_base's */
  pattern?: string
  /** special tokens text → id; default: the recognised encoding's, else none */
  specialTokens?: Record<string, number>
}

function sameRanks(a: RankEntries, b: RankEntries): boolean {
  if (a.length !== b.length) return false
  const byRank = new Map<number, Uint8Array>()
  for (const [bytes, rank] of b) byRank.set(rank, bytes)
  for (const [bytes, rank] of a) {
    const other = byRank.get(rank)
    if (other === undefined || Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), Buffer.from(other.buffer, other.byteOffset, other.length)) !== 0) return false
  }
  return true
}

/** The bundled encoding that has exactly these ranks, if any (returned whole, so it is read once). */
function recogniseRanks(ranks: RankEntries): BundledEncoding | undefined {
  for (const name of TIKTOKEN_ENCODINGS) {
    if (RANK_COUNTS[name] !== ranks.length) continue
    const bundled = readBundledEncoding(name)
    if (sameRanks(ranks, bundled.ranks)) return bundled
  }
  return undefined
}

/** A `.tiktoken` rank file ("BASE64 RANK" per line). */
export function loadTiktokenFile(path: string, opts: TiktokenFileOptions = {}): TiktokenEncoding {
  const ranks = parseTiktokenFile(path)
  const known = opts.pattern !== undefined && opts.specialTokens !== undefined ? undefined : recogniseRanks(ranks)
  const base = known ?? readBundledEncoding('cl100k_base', false)
  return new TiktokenEncoding({
    name: path,
    pattern: opts.pattern ?? base.pattern,
    specialTokens: opts.specialTokens ?? (known ? base.specialTokens : {}),
    ranks,
  })
}
