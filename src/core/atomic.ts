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
 * An existing `dir` is first renamed to `backup` (fixed name, default `.NAME.old` beside it) and
 * deleted after, so readers see the old folder or the new one, never a mix. A crash between the
 * two renames leaves `backup` and no `dir`: recoverDir() (called here first, and by readers that
 * may come before the next replace) puts the old folder back. Throws the raw fs error; callers
 * wrap it with the name the user knows.
 */
export function replaceDir(staging: string, dir: string, backup = backupOf(dir)): void {
  recoverDir(dir, backup)
  if (!existsSync(dir)) {
    renameSync(staging, dir)
    return
  }
  renameSync(dir, backup)
  try {
    renameSync(staging, dir)
  } catch (e) {
    renameSync(backup, dir)
    throw e
  }
  rmSync(backup, { recursive: true, force: true })
}

/** Where replaceDir keeps the folder it replaces until the new one is in place: `.NAME.old` beside it. */
export function backupOf(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.old`)
}

/**
 * Finish what a replaceDir interrupted by a crash left: with `dir` missing, its backup is the
 * last complete folder and goes back in place; with `dir` present, the backup is a leftover and is
 * deleted. Returns true when it changed anything. Callers must hold whatever lock their writers take.
 */
export function recoverDir(dir: string, backup = backupOf(dir)): boolean {
  if (!existsSync(backup)) return false
  if (existsSync(dir)) rmSync(backup, { recursive: true, force: true })
  else renameSync(backup, dir)
  return true
}
