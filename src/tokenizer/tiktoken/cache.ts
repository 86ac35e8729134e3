/**
 * A compiled tiktoken encoding on disk, so a process starts without building the rank table:
 * `$LLM_HOME/cache/tiktoken/NAME.bin` holds the ByteTokenTable's arrays as they are in memory
 * (read back as typed-array views of one file read: no parsing, no hashing) plus the pattern,
 * its translated JS regex source and the special tokens.
 *
 * Why a cache on first use rather than a file generated at build time: `npm install` from the
 * registry runs no build of ours, the rank data is the `tiktoken` package's (so its version is
 * the user's), and a `.tiktoken` file a user brings has no build step at all. The cache is keyed
 * by the source file's path, size and mtime and this format's version: a changed source, or a
 * file that is short, foreign or from another version, is ignored and rewritten. Writes are
 * atomic (temp file + rename), so parallel processes never see half a file; a cache folder that
 * cannot be written costs only the rebuild (about 0.25 s for cl100k_base).
 *
 * Layout (little-endian): u32 magic 'LTIK', u32 format version, u32 header length, header JSON
 * (UTF-8), zero padding to a multiple of 8, then Int32 start[nIds], Int32 len[nIds],
 * Int32 slots[cap], the byte pool[poolLen].
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../../core/atomic.js'
import { llmHome } from '../../core/store/paths.js'
import { ByteTokenTable } from './byte-table.js'

const MAGIC = 0x4b49544c // 'LTIK'
const FORMAT = 1

export interface CompiledEncoding {
  pattern: string
  /** the pattern translated to a JS RegExp source (flags gv) */
  regexSource: string
  specialTokens: Record<string, number>
  table: ByteTokenTable
}

interface Header {
  key: string
  pattern: string
  regexSource: string
  specialTokens: Record<string, number>
  nIds: number
  cap: number
  poolLen: number
  size: number
}

/** the cache file of an encoding (a name or a file's basename) */
export function cachePath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(llmHome(env), 'cache', 'tiktoken', `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.bin`)
}

/** what identifies the source a cache was built from: path, size, mtime, format */
export function sourceKey(sourcePath: string): string {
  const st = statSync(sourcePath)
  return `${FORMAT}|${sourcePath}|${st.size}|${st.mtimeMs}`
}

/** The compiled encoding at `path` if it is intact and was built from `key`; else undefined. */
export function readCompiled(path: string, key: string): CompiledEncoding | undefined {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch {
    return undefined
  }
  try {
    if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== FORMAT) return undefined
    const hlen = buf.readUInt32LE(8)
    if (12 + hlen > buf.length) return undefined
    const h = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header
    if (h.key !== key) return undefined
    let off = (12 + hlen + 7) & ~7
    if (off + (2 * h.nIds + h.cap) * 4 + h.poolLen !== buf.length || (h.cap & (h.cap - 1)) !== 0) return undefined
    // typed-array views need 4-byte alignment within their ArrayBuffer; a file read gets its own
    // buffer at offset 0, but copy if not
    const bytes = buf.byteOffset % 8 === 0 ? buf : Buffer.from(buf)
    const i32 = (n: number): Int32Array => { const a = new Int32Array(bytes.buffer, bytes.byteOffset + off, n); off += n * 4; return a }
    const start = i32(h.nIds)
    const len = i32(h.nIds)
    const slots = i32(h.cap)
    const pool = new Uint8Array(bytes.buffer, bytes.byteOffset + off, h.poolLen)
    return { pattern: h.pattern, regexSource: h.regexSource, specialTokens: h.specialTokens, table: new ByteTokenTable({ pool, start, len, slots, size: h.size }) }
  } catch {
    return undefined
  }
}

/** Write the compiled encoding (atomically); false if the cache folder cannot be written. */
export function writeCompiled(path: string, key: string, enc: CompiledEncoding): boolean {
  const { pool, start, len, slots, size } = enc.table
  const header: Header = { key, pattern: enc.pattern, regexSource: enc.regexSource, specialTokens: enc.specialTokens, nIds: start.length, cap: slots.length, poolLen: pool.length, size }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const head = Buffer.alloc((12 + json.length + 7) & ~7)
  head.writeUInt32LE(MAGIC, 0)
  head.writeUInt32LE(FORMAT, 4)
  head.writeUInt32LE(json.length, 8)
  json.copy(head, 12)
  const view = (a: Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  try {
    writeFileAtomic(path, [head, view(start), view(len), view(slots), pool])
    return true
  } catch {
    return false
  }
}
