import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { randomBytes } from 'node:crypto'

/**
 * Write a file atomically: write a temp file beside it, fsync, rename over the target.
 * A reader (or a crash) sees either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w')
  try {
    const parts = Array.isArray(data) ? data : [data]
    for (const p of parts) {
      const buf = typeof p === 'string' ? Buffer.from(p) : p
      let off = 0
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
    }
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw e
  }
  closeSync(fd)
  renameSync(tmp, path)
}
