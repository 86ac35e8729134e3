import { existsSync, linkSync, copyFileSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { mkdirs, replaceDir, writeFileAtomic } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { readJson } from '../json.js'
import { downloadFile } from './download.js'
import { filterIncluded } from './glob.js'
import { fileUrl, hubOptionsFromEnv, isOfflineEnv, listRepoFiles, type RemoteFile } from './hub.js'
import { takeLock } from './lock.js'
import { folderName, lockPathOf, MANIFEST, modelsDir, parseRepoId, recoverStored } from './paths.js'
import { readManifest, type Manifest, type ManifestFile } from './manifest.js'

export interface PullOptions {
  /** branch, tag or commit; default 'main' */
  revision?: string
  /** fnmatch-style patterns (see glob.ts); default: every file */
  include?: string[]
  /** never touch the network (also HF_HUB_OFFLINE=1) */
  offline?: boolean
  env?: NodeJS.ProcessEnv
  /** called once the listing is known: bytes and files still to fetch */
  onPlan?(plan: { commit: string; files: number; bytes: number }): void
  /** bytes done so far (over the whole pull) and the file in flight */
  onProgress?(done: number, file: string): void
}

export interface PullResult {
  repo: string
  path: string
  revision: string
  commit: string
  status: 'downloaded' | 'up-to-date' | 'present-offline'
  files: ManifestFile[]
  /** bytes fetched over the network by this run */
  downloadedBytes: number
  /** bytes an earlier interrupted run had already fetched */
  resumedBytes: number
}

/**
 * Download a hub repository into the store, atomically: files land in
 * `.partial/<folder>/` (each first as a `.part` that later runs resume), are checked, and the
 * whole folder is renamed to `models/<folder>` only when every file is complete. A pull of the
 * same commit adds to what is stored (e.g. a second `--include`); a new commit replaces it.
 */
export async function pullModel(repo: string, opts: PullOptions = {}): Promise<PullResult> {
  const env = opts.env ?? process.env
  parseRepoId(repo)
  const revision = opts.revision ?? 'main'
  const root = modelsDir(env)
  const folder = folderName(repo)
  const finalDir = join(root, folder)
  recoverStored(folder, env)
  const existing = readManifest(finalDir)

  if (opts.offline || isOfflineEnv(env)) {
    if (existsSync(finalDir)) {
      return { repo, path: finalDir, revision: existing?.revision ?? revision, commit: existing?.commit ?? 'unknown', status: 'present-offline', files: existing?.files ?? [], downloadedBytes: 0, resumedBytes: 0 }
    }
    throw new LlmError(`'${repo}' is not in the store and offline mode is on`, {
      where: repo,
      hint: `drop --offline / unset HF_HUB_OFFLINE to download it, or put its files in ${finalDir}`,
    })
  }

  const hub = hubOptionsFromEnv(env)
  const listing = await listRepoFiles(repo, revision, hub)
  const names = filterIncluded(listing.files.map((f) => f.name), opts.include ?? [])
  if (names.length === 0) {
    const all = listing.files.map((f) => f.name)
    throw usageError(`no file of ${repo} matches --include ${(opts.include ?? []).join(' ')}`, {
      where: '--include',
      hint: `the repository has: ${all.slice(0, 12).join(', ')}${all.length > 12 ? ', …' : ''}`,
    })
  }
  const wanted = listing.files.filter((f) => names.includes(f.name))
  const sameCommit = existing?.commit === listing.commit
  if (sameCommit && wanted.every((f) => isStored(finalDir, existing!, f))) {
    return { repo, path: finalDir, revision, commit: listing.commit, status: 'up-to-date', files: existing!.files, downloadedBytes: 0, resumedBytes: 0 }
  }

  const staging = join(root, '.partial', folder)
  const release = takeLock(lockPathOf(folder, env), (pid) =>
    new LlmError(`another 'llm models pull' ${pid ? `(pid ${pid}) ` : ''}is downloading this model`, {
      where: repo,
      hint: `wait for it to finish (or, if no pull is running, delete ${lockPathOf(folder, env)})`,
    }))
  try {
    const stateFile = join(staging, '.llm-pull.json')
    let state = readState(stateFile)
    if (state && state.commit !== listing.commit) {
      rmSync(staging, { recursive: true, force: true }) // parts of another commit are useless
      state = undefined
    }
    state ??= { commit: listing.commit, done: {} }
    mkdirs(staging)
    // Same commit already stored: keep its files (hard links, no copy) and only add new ones.
    if (sameCommit) {
      for (const f of existing!.files) {
        const dst = join(staging, f.name)
        if (!state.done[f.name] && existsSync(join(finalDir, f.name))) {
          linkOrCopy(join(finalDir, f.name), dst)
          state.done[f.name] = f
        }
      }
    }
    const todo = wanted.filter((f) => !state.done[f.name] || !existsSync(join(staging, f.name)))
    opts.onPlan?.({ commit: listing.commit, files: todo.length, bytes: todo.reduce((s, f) => s + (f.size ?? 0), 0) })

    let done = 0
    let downloadedBytes = 0
    let resumedBytes = 0
    for (const f of todo) {
      const part = join(staging, '.llm-parts', encodeURIComponent(f.name) + '.part')
      const r = await downloadFile(fileUrl(hub, repo, listing.commit, f.name), part, join(staging, f.name), f, hub, (n) => {
        done += n
        opts.onProgress?.(done, f.name)
      })
      downloadedBytes += r.size - r.resumedFrom
      resumedBytes += r.resumedFrom
      state.done[f.name] = { name: f.name, size: r.size, sha256: r.sha256 }
      writeFileAtomic(stateFile, JSON.stringify(state))
    }

    const files = Object.values(state.done).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const manifest: Manifest = { format: 'llm-model', version: 1, repo, revision, commit: listing.commit, endpoint: hub.endpoint, pulled_at: new Date().toISOString(), files }
    writeFileAtomic(join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n')
    rmSync(join(staging, '.llm-parts'), { recursive: true, force: true })
    rmSync(stateFile, { force: true })
    replaceDir(staging, finalDir)
    return { repo, path: finalDir, revision, commit: listing.commit, status: 'downloaded', files, downloadedBytes, resumedBytes }
  } finally {
    release()
  }
}

function isStored(dir: string, m: Manifest, f: RemoteFile): boolean {
  const rec = m.files.find((x) => x.name === f.name)
  if (!rec) return false
  const p = join(dir, f.name)
  return existsSync(p) && statSync(p).size === rec.size && (f.sha256 === undefined || f.sha256 === rec.sha256)
}

interface PullState {
  commit: string
  done: Record<string, ManifestFile>
}

function readState(file: string): PullState | undefined {
  try {
    const s = readJson(file) as PullState | null
    return s && typeof s.commit === 'string' && s.done && typeof s.done === 'object' ? s : undefined
  } catch {
    return undefined // none, or damaged by a crash: the pull starts over (the part files are rechecked)
  }
}

function linkOrCopy(src: string, dst: string): void {
  mkdirs(dirname(dst))
  rmSync(dst, { force: true })
  try {
    linkSync(src, dst)
  } catch {
    copyFileSync(src, dst)
  }
}
