import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileError } from './errors.js'

/**
 * Write a file atomically: write a temp file beside it, fsync, rename over the target.
 * A reader (or a crash) sees either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    mkdirs(dirname(path))
    const fd = openSync(tmp, 'w')
    try {
      const parts = Array.isArray(data) ? data : [data]
      for (const p of parts) {
        const buf = typeof p === 'string' ? Buffer.from(p) : p
        let off = 0
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
      }
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (e) {
    try { rmSync(tmp, { force: true }) } catch { /* the temp file was never made */ }
    // the error names the file, so every caller's one-line message says which write failed
    throw fileError(path, e, 'cannot write file')
  }
}

/**
 * `mkdir -p`. Use it instead of `mkdirSync(dir, { recursive: true })`: Node 20's recursive mkdir
 * loops forever (100% CPU) where mkdir reports ENOENT under a folder that does exist, as it does
 * for any path in /proc (`--out /proc/x` hung the command). This one throws that ENOENT instead.
 */
export function mkdirs(dir: string): void {
  try {
    mkdirSync(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' })
    }
    const parent = dirname(dir)
    if (code !== 'ENOENT' || parent === dir || existsSync(parent)) throw e
    mkdirs(parent)
    try {
      mkdirSync(dir)
    } catch (e2) {
      // created meanwhile by someone else: fine if it is a folder
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw e2
    }
  }
}

/**
 * Put a finished folder in place of `dir`: rename `staging` to `dir` (atomic on one file system).
 * An existing `dir` is renamed aside first and deleted after, so readers see the old folder or the
 * new one, never a mix. Throws the raw fs error; callers wrap it with the name the user knows.
 * `old`: a fixed aside name for callers that recover from a crash between the two renames
 * (a leftover from an earlier crash is deleted first); by default a random one beside `staging`.
 */
export function replaceDir(staging: string, dir: string, old = `${staging}.old-${randomBytes(4).toString('hex')}`): void {
  rmSync(old, { recursive: true, force: true })
  if (!existsSync(dir)) {
    renameSync(staging, dir)
    return
  }
  renameSync(dir, old)
  renameSync(staging, dir)
  rmSync(old, { recursive: true, force: true })
}
