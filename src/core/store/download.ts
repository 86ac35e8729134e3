import { createHash, type Hash } from 'node:crypto'
import { createReadStream, existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { mkdirs } from '../atomic.js'
import { LlmError } from '../errors.js'
import { hubGet, httpError, type HubOptions, type LinkedMeta } from './hub.js'

/** What a file should be; any field may be unknown (then it is not checked). */
export interface Expected {
  size?: number
  sha256?: string
  gitSha1?: string
}

export interface DownloadResult {
  size: number
  sha256: string
  /** how many bytes were already on disk from an earlier, interrupted try */
  resumedFrom: number
}

/**
 * Download `url` into `partPath`, resuming from whatever an earlier try left there (HTTP Range),
 * check size and hashes, then rename it to `finalPath`. A failed check deletes the part file
 * (its bytes are wrong, resuming from them would be too); an interrupted transfer keeps it.
 * `onBytes(n)` is called with each chunk's length, resumed bytes included once at the start.
 */
export async function downloadFile(
  url: string,
  partPath: string,
  finalPath: string,
  expected: Expected,
  opts: HubOptions,
  onBytes: (n: number) => void = () => {},
): Promise<DownloadResult> {
  mkdirs(dirname(partPath))
  let have = existsSync(partPath) ? statSync(partPath).size : 0
  if (expected.size !== undefined && have > expected.size) {
    rmSync(partPath) // longer than the file can be: not a prefix of it
    have = 0
  }

  let r = await hubGet(url, opts, have > 0 ? { range: `bytes=${have}-` } : {})
  const want: Expected = merge(expected, r.meta)
  if (r.res.status === 416 && have > 0) {
    // Range not satisfiable: either the part file is already whole, or it is not a prefix.
    await r.cancel()
    if (want.size === have) return finish(partPath, finalPath, want, have, onBytes)
    rmSync(partPath)
    have = 0
    r = await hubGet(url, opts, {})
  }
  const res = r.res
  if (res.status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '')
    if (!m || Number(m[1]) !== have) {
      await r.cancel()
      throw new LlmError(`the server answered a range request with the wrong range (${res.headers.get('content-range')})`, { where: url, hint: 'run the pull again' })
    }
  } else if (res.status === 200) {
    have = 0 // the server ignored Range: start over
  } else {
    await r.cancel()
    throw httpError(res.status, 'file', url)
  }

  const hash = createHash('sha256')
  if (have > 0) await hashFile(partPath, hash)
  onBytes(have)
  const resumedFrom = have
  const fh = await open(partPath, have > 0 ? 'a' : 'w')
  let written = have
  try {
    if (!res.body) throw new Error('empty response body')
    for await (const chunk of r.chunks()) {
      await fh.write(chunk)
      hash.update(chunk)
      written += chunk.length
      onBytes(chunk.length)
    }
    await fh.sync()
  } catch (e) {
    // what was written stays in the part file: the next run asks for the rest (Range)
    throw new LlmError(`download interrupted after ${written} bytes: ${(e as Error).message}`, {
      where: url,
      hint: 'run the same command again: it resumes where it stopped',
      cause: e,
    })
  } finally {
    await fh.close()
  }
  return finish(partPath, finalPath, want, written, () => {}, hash.digest('hex'), resumedFrom)
}

async function finish(
  partPath: string,
  finalPath: string,
  want: Expected,
  size: number,
  onBytes: (n: number) => void,
  sha256?: string,
  resumedFrom = size,
): Promise<DownloadResult> {
  if (sha256 === undefined) {
    onBytes(size)
    const h = createHash('sha256')
    await hashFile(partPath, h)
    sha256 = h.digest('hex')
  }
  const fail = (what: string, exp: string | number, got: string | number) => {
    rmSync(partPath, { force: true })
    return new LlmError(`${what} mismatch: expected ${exp}, got ${got}`, {
      where: finalPath,
      hint: 'the download was corrupted or the server is wrong; the bad file was deleted, run the pull again',
    })
  }
  if (want.size !== undefined && want.size !== size) throw fail('size', want.size, size)
  if (want.sha256 !== undefined && want.sha256 !== sha256) throw fail('sha256', want.sha256, sha256)
  if (want.gitSha1 !== undefined) {
    const g = await gitBlobSha1(partPath, size)
    if (g !== want.gitSha1) throw fail('git blob sha1', want.gitSha1, g)
  }
  mkdirs(dirname(finalPath))
  renameSync(partPath, finalPath)
  return { size, sha256, resumedFrom }
}

/** Listing values win; the resolve response's headers fill what the listing did not say. */
function merge(expected: Expected, meta: LinkedMeta): Expected {
  const out = { ...expected }
  out.size ??= meta.size
  if (out.sha256 === undefined && out.gitSha1 === undefined) {
    out.sha256 = meta.sha256
    if (meta.sha256 === undefined) out.gitSha1 = meta.gitSha1
  }
  return out
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
}

/** git's object id for a file: sha1("blob <size>\0" + bytes) (git hash-object). */
export async function gitBlobSha1(path: string, size: number): Promise<string> {
  const h = createHash('sha1')
  h.update(`blob ${size}\0`)
  await hashFile(path, h)
  return h.digest('hex')
}
