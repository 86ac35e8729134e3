import { randomBytes } from 'node:crypto'
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { mkdirs } from '../atomic.js'
import { LlmError } from '../errors.js'

/**
 * A lock file: one writer per model at a time (`llm models pull` and `llm models rm` hold
 * `$LLM_HOME/models/.partial/<owner>--<name>.lock`, see paths.ts lockPathOf, while they change
 * the model's folders).
 *
 * The lock file holds `PID TOKEN`. Taking it is one atomic step: the content is written under a
 * temporary name first and hard-linked to the lock's name, which fails if that name exists
 * (O_EXCL semantics), so nobody ever sees a lock file without its pid. A lock whose pid is not a
 * live process is stale (its pull crashed): it is renamed aside, checked to be the lock that was
 * read (same token: nobody replaced it meanwhile, else it is put back), and deleted.
 */
/** Locks this process holds (two pulls of one model in one process exclude each other too). */
const held = new Set<string>()

/** An unreadable lock (written by hand, or by a file system without hard links that crashed mid-write) older than this is stale. */
const UNREADABLE_STALE_MS = 10_000

/**
 * Take the lock at `path`, or throw `busy(pid)` when a live process holds it.
 * Returns the function that releases it.
 */
export function takeLock(path: string, busy: (pid: number | undefined) => LlmError): () => void {
  mkdirs(dirname(path))
  const token = randomBytes(8).toString('hex')
  const content = `${process.pid} ${token}\n`
  for (let attempt = 0; attempt < 8; attempt++) {
    if (create(path, content)) {
      held.add(path)
      return () => {
        held.delete(path)
        if (read(path) === content) rmSync(path, { force: true })
      }
    }
    const seen = read(path)
    if (seen === undefined) continue // released meanwhile
    const holder = parse(seen)
    if (held.has(path) || (holder ? isAlive(holder.pid) && holder.pid !== process.pid : !unreadableIsStale(path))) throw busy(holder?.pid)
    // stale: a crashed process's lock (or this pid's from before a restart: it is not in `held`)
    const aside = `${path}.stale-${token}`
    try {
      renameSync(path, aside)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw e
    }
    if (read(aside) !== seen) {
      // another process took the lock between our read and our rename: give it back
      try { linkSync(aside, path) } catch { /* a third one holds it now; the loop sees it */ }
    }
    rmSync(aside, { force: true })
  }
  throw new LlmError('cannot take the lock: it keeps changing hands', { where: path, hint: 'try again' })
}

function create(path: string, content: string): boolean {
  const tmp = join(dirname(path), `.lock-${randomBytes(6).toString('hex')}.tmp`)
  writeFileSync(tmp, content)
  try {
    linkSync(tmp, path)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e
    return createWithoutLinks(path, content)
  } finally {
    rmSync(tmp, { force: true })
  }
}

/** File systems without hard links: O_EXCL create, then write (readers allow for the moment between). */
function createWithoutLinks(path: string, content: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return true
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

function parse(content: string): { pid: number; token: string } | undefined {
  const m = /^(\d+) ([0-9a-f]+)\n$/.exec(content)
  return m ? { pid: Number(m[1]), token: m[2]! } : undefined
}

function unreadableIsStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > UNREADABLE_STALE_MS
  } catch {
    return true
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
