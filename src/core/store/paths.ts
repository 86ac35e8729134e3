import { existsSync, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { backupOf, recoverDir } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { takeLock } from './lock.js'

/**
 * Where the local model store lives.
 *
 *   $LLM_HOME                       default: $XDG_CACHE_HOME/llm, else ~/.cache/llm
 *   $LLM_HOME/models/<owner>--<name>/   one folder per Hugging Face repository, the repository's
 *                                        files at their repo paths, plus `.llm-model.json`
 *                                        (repo, revision, commit, file sizes and hashes)
 *   $LLM_HOME/models/.partial/<owner>--<name>/   an unfinished `llm models pull` (resumable)
 *   $LLM_HOME/models/.partial/<owner>--<name>.lock   held by a running pull or rm (lock.ts)
 *   $LLM_HOME/models/.<owner>--<name>.old/   the previous copy while a pull swaps in a new one
 *                                        (atomic.ts replaceDir; put back if the pull crashed)
 *
 * `owner/name` maps to `owner--name` without ambiguity because the hub forbids `--` and `..`
 * inside repository ids (huggingface_hub's validate_repo_id), so the mapping can be inverted.
 */
export function llmHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LLM_HOME) return resolve(env.LLM_HOME)
  const cache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache')
  return join(cache, 'llm')
}

export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(llmHome(env), 'models')
}

/** the name of the manifest file `pull` writes inside each model folder */
export const MANIFEST = '.llm-model.json'

// One id segment as the hub allows it: letters, digits, `-`, `_`, `.`; not starting with `-`/`.`.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}$/

/**
 * Check a repository id (`owner/name`, or a bare `name` for the few owner-less legacy repos such
 * as `gpt2`) and return its parts. Throws a usage error naming the id otherwise.
 */
export function parseRepoId(id: string): { owner?: string; name: string } {
  const parts = id.split('/')
  const bad = (why: string) =>
    usageError(`not a Hugging Face repository id (${why})`, { where: id, hint: 'use OWNER/NAME, e.g. karpathy/tinyllamas' })
  if (parts.length > 2) throw bad('more than one "/"')
  for (const p of parts) {
    if (!SEGMENT.test(p)) throw bad('each part must be letters, digits, "-", "_" or "." and not start with "-" or "."')
    if (p.includes('--') || p.includes('..')) throw bad('"--" and ".." are not allowed')
    if (p.endsWith('.') || p.endsWith('-')) throw bad('a part cannot end with "." or "-"')
  }
  return parts.length === 2 ? { owner: parts[0], name: parts[1]! } : { name: parts[0]! }
}

/** `owner/name` → `owner--name` (the folder name inside the store). */
export function folderName(repoId: string): string {
  const { owner, name } = parseRepoId(repoId)
  return owner ? `${owner}--${name}` : name
}

/** `owner--name` → `owner/name` (inverse of folderName). */
export function repoIdOf(folder: string): string {
  const i = folder.indexOf('--')
  return i < 0 ? folder : `${folder.slice(0, i)}/${folder.slice(i + 2)}`
}

/** Store folder for a repository id, whether or not it exists. */
export function storePath(repoId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(modelsDir(env), folderName(repoId))
}

/** The lock a pull or rm of the model in `folder` holds. */
export function lockPathOf(folder: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(modelsDir(env), '.partial', `${folder}.lock`)
}

/**
 * A pull that crashed between replaceDir's two renames left `.FOLDER.old` and no FOLDER: put
 * the old copy back (or delete the leftover when FOLDER is there). Not while a pull holds the
 * lock: it is in the middle of that swap. Best effort: a read-only store is left as it is.
 */
export function recoverStored(folder: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = join(modelsDir(env), folder)
  if (!existsSync(backupOf(dir))) return
  try {
    const release = takeLock(lockPathOf(folder, env), () => new LlmError('busy'))
    try {
      recoverDir(dir)
    } finally {
      release()
    }
  } catch {
    // busy, or not writable: the folder stays as it is
  }
}

/** The model folders currently in the store (complete pulls only: staging lives under `.partial`). */
export function storedFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = modelsDir(env)
  if (!existsSync(dir)) return []
  const entries = () => readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())
  const backups = entries().filter((d) => /^\..+\.old$/.test(d.name) && d.name !== '.partial')
  for (const b of backups) recoverStored(b.name.slice(1, -'.old'.length), env)
  return entries()
    .filter((d) => !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort()
}

/**
 * Resolve a model NAME to its folder in the store, or undefined when it is not stored.
 * Accepted: `owner/name`, `owner--name`, or a bare `name` when exactly one stored repository has
 * that name (throws a usage error listing the candidates when several do).
 * For `-m NAME` resolution: try a path on disk first, then this.
 */
export function resolveStoredModel(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = modelsDir(env)
  const asRepo = name.includes('--') ? repoIdOf(name) : name
  try {
    parseRepoId(asRepo)
  } catch {
    return undefined // not a repository id, so it cannot be a store name
  }
  const exact = join(dir, folderName(asRepo))
  recoverStored(folderName(asRepo), env)
  if (existsSync(exact) && statSync(exact).isDirectory()) return exact
  if (asRepo.includes('/')) return undefined
  const candidates = storedFolders(env).filter((f) => f.endsWith(`--${asRepo}`))
  if (candidates.length === 1) return join(dir, candidates[0]!)
  if (candidates.length > 1) {
    throw usageError(`model name '${name}' is ambiguous in the store`, {
      where: name,
      hint: `use one of: ${candidates.map(repoIdOf).join(', ')}`,
    })
  }
  return undefined
}

/** resolveStoredModel, but throw a clear error (with the pull command to run) when absent. */
export function requireStoredModel(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const found = resolveStoredModel(name, env)
  if (found) return found
  throw new LlmError(`no model '${name}' in the store (${modelsDir(env)})`, {
    where: name,
    hint: `see 'llm models list', or download it with 'llm models pull ${name.includes('/') ? name : 'OWNER/' + name}'`,
  })
}

/** The id a model folder is served and logged under: `owner/name` for the store, else the folder's name. */
export function modelId(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  return dir.startsWith(modelsDir(env) + '/') ? repoIdOf(basename(dir)) : basename(dir)
}
