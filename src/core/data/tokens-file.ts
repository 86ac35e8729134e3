import { closeSync, openSync, readSync, readFileSync } from 'node:fs'
import { LlmError, fileError } from '../errors.js'

/**
 * llm.c's token files (karpathy/llm.c dev/data/data_common.py `write_datafile`):
 * a 256 × int32 little-endian header, then the tokens.
 *   header[0] magic: 20240520 → version 1, uint16 tokens (GPT-2 sized vocabularies)
 *                    20240801 → version 7, uint32 tokens (vocabularies over 65,535)
 *   header[1] version, header[2] number of tokens
 */
const HEADER_INTS = 256
export const HEADER_BYTES = HEADER_INTS * 4
const MAGIC_U16 = 20240520
const MAGIC_U32 = 20240801

/** true if the file starts with one of llm.c's magics (used to tell token files from text) */
export function isTokenFile(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const head = Buffer.alloc(8)
    if (readSync(fd, head, 0, 8, 0) < 8) return false
    const magic = head.readInt32LE(0)
    const version = head.readInt32LE(4)
    return (magic === MAGIC_U16 && version === 1) || (magic === MAGIC_U32 && version === 7)
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Read a whole token file into a Uint32Array; any malformation is one error naming the file. */
export function readTokenFile(path: string): Uint32Array {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw fileError(path, e)
  }
  const hint = 'expected an llm.c token file: 256 int32 header (magic 20240520 v1 uint16 or 20240801 v7 uint32) then tokens'
  if (bytes.length < HEADER_BYTES) {
    throw new LlmError(`token file truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`, { where: path, hint })
  }
  const magic = bytes.readInt32LE(0)
  const version = bytes.readInt32LE(4)
  const count = bytes.readInt32LE(8)
  let width: 2 | 4
  if (magic === MAGIC_U16 && version === 1) width = 2
  else if (magic === MAGIC_U32 && version === 7) width = 4
  else throw new LlmError(`bad token file header: magic ${magic} version ${version}`, { where: path, hint })
  if (count < 0) throw new LlmError(`bad token count ${count} in header`, { where: path, hint })
  const need = HEADER_BYTES + count * width
  if (bytes.length < need) {
    throw new LlmError(`token file truncated: header says ${count} tokens (${need} bytes), file has ${bytes.length} bytes`, { where: path, hint })
  }
  const out = new Uint32Array(count)
  if (width === 2) for (let i = 0; i < count; i++) out[i] = bytes.readUInt16LE(HEADER_BYTES + 2 * i)
  else for (let i = 0; i < count; i++) out[i] = bytes.readUInt32LE(HEADER_BYTES + 4 * i)
  return out
}

/** Encode tokens as an llm.c token file (uint16 when every id fits, else uint32). */
export function encodeTokenFile(tokens: ArrayLike<number>, vocabSize?: number): Uint8Array {
  let max = 0
  for (let i = 0; i < tokens.length; i++) if (tokens[i] > max) max = tokens[i]
  const wide = (vocabSize ?? max + 1) > 65535
  const width = wide ? 4 : 2
  const buf = Buffer.alloc(HEADER_BYTES + tokens.length * width)
  buf.writeInt32LE(wide ? MAGIC_U32 : MAGIC_U16, 0)
  buf.writeInt32LE(wide ? 7 : 1, 4)
  buf.writeInt32LE(tokens.length, 8)
  if (wide) for (let i = 0; i < tokens.length; i++) buf.writeUInt32LE(tokens[i], HEADER_BYTES + 4 * i)
  else for (let i = 0; i < tokens.length; i++) buf.writeUInt16LE(tokens[i], HEADER_BYTES + 2 * i)
  return buf
}

