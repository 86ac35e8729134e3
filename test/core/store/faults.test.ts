/**
 * The store under faults: a hub that stops answering, two writers at once, a crash in the
 * middle of swapping a model in. A tiny repository made here (no ../shared needed): one
 * "LFS" file (>= lfsMin bytes: 302 to the CDN, sha256 checked) and two small regular files.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot } from '../../helpers.js'
import { LlmError } from '../../../src/core/errors.js'
import { pullModel } from '../../../src/core/store/pull.js'
import { removeStored, listStored } from '../../../src/core/store/inventory.js'
import { takeLock } from '../../../src/core/store/lock.js'
import { lockPathOf, resolveStoredModel } from '../../../src/core/store/paths.js'
import { readManifest } from '../../../src/core/store/manifest.js'
import { startHubServer, type HubServer } from './hub-server.js'

const REPO = 'test-owner/tiny'
const FOLDER = 'test-owner--tiny'
const busy = (pid: number | undefined) => new LlmError(`busy ${pid}`)

describe('models pull and rm under faults', () => {
  let src: string
  let hub: HubServer
  let home: string
  let env: NodeJS.ProcessEnv

  beforeEach(async () => {
    src = mkdtempSync(join(tmpdir(), 'llm-store-src-'))
    writeFileSync(join(src, 'weights.bin'), randomBytes(150_000))
    writeFileSync(join(src, 'config.json'), '{"model_type":"llama"}\n')
    writeFileSync(join(src, 'README.md'), '# tiny\n')
    hub = await startHubServer({ [REPO]: { dir: src } }, { lfsMin: 100_000, separateCdn: true })
    home = mkdtempSync(join(tmpdir(), 'llm-store-'))
    env = { LLM_HOME: home, HF_ENDPOINT: hub.url }
  })
  afterEach(async () => {
    await hub.close()
    rmSync(home, { recursive: true, force: true })
    rmSync(src, { recursive: true, force: true })
  })

  const modelDir = () => join(home, 'models', FOLDER)
  // a short stall timeout for the calls that stall, so they end soon (the others keep the default:
  // a loaded machine may well be slower than this to answer)
  const stalling = () => ({ ...env, HF_HUB_DOWNLOAD_TIMEOUT: '1.5', HF_HUB_ETAG_TIMEOUT: '1.5' })

  it('a download that stalls mid-file fails with a clear error, keeps what it got, and the next pull resumes', async () => {
    hub.faults.stallAfter = { 'weights.bin': 40_000 }
    const err = await pullModel(REPO, { env: stalling() }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LlmError)
    expect((err as LlmError).oneLine()).toMatch(/download interrupted after 40000 bytes: nothing received from the server for 1\.5 s \(stalled connection\).*hint: run the same command again: it resumes/)
    expect(existsSync(modelDir())).toBe(false)
    const part = join(home, 'models', '.partial', FOLDER, '.llm-parts', 'weights.bin.part')
    expect(statSync(part).size).toBe(40_000)
    // the lock was released: the next pull goes ahead and asks only for the rest
    const r = await pullModel(REPO, { env })
    expect(r.status).toBe('downloaded')
    expect(r.resumedBytes).toBe(40_000)
    expect(hub.requests.filter((q) => q.range).map((q) => q.range)).toEqual(['bytes=40000-', 'bytes=40000-'])
    expect(readFileSync(join(r.path, 'weights.bin')).equals(readFileSync(join(src, 'weights.bin')))).toBe(true)
  })

  it('a hub that never answers the listing fails with a clear error instead of hanging', async () => {
    hub.faults.stallListing = true
    const e = (await pullModel(REPO, { env: stalling() }).catch((x: unknown) => x)) as LlmError
    expect(e).toBeInstanceOf(LlmError)
    expect(e.oneLine()).toMatch(/\/api\/models\/test-owner\/tiny\/revision\/main\?blobs=true: no answer from the server for 1\.5 s \(stalled connection\)/)
    expect(existsSync(modelDir())).toBe(false)
    const bad = (await pullModel(REPO, { env: { ...env, HF_HUB_DOWNLOAD_TIMEOUT: 'soon' } }).catch((x: unknown) => x)) as LlmError
    expect(bad.oneLine()).toMatch(/^HF_HUB_DOWNLOAD_TIMEOUT: expected a number of seconds > 0, got 'soon'/)
  })

  it('a second pull of the same model refuses while the first holds the lock', async () => {
    const release = takeLock(lockPathOf(FOLDER, env), busy)
    try {
      await expect(pullModel(REPO, { env })).rejects.toThrow(/another 'llm models pull' \(pid \d+\) is downloading this model/)
    } finally {
      release()
    }
    expect((await pullModel(REPO, { env })).status).toBe('downloaded')
  })

  it('models rm refuses while a pull holds the lock, and removes the model after', async () => {
    await pullModel(REPO, { env })
    const release = takeLock(lockPathOf(FOLDER, env), busy)
    try {
      const e = (() => { try { removeStored(REPO, env) } catch (x) { return x as LlmError } })()
      expect(e?.oneLine()).toMatch(/^test-owner\/tiny: a pull of this model is running \(pid \d+\): not removing it \(hint: wait for the pull/)
      expect(existsSync(join(modelDir(), 'weights.bin'))).toBe(true)
    } finally {
      release()
    }
    expect(removeStored(REPO, env).name).toBe(REPO)
    expect(existsSync(modelDir())).toBe(false)
  })

  it('a crash between the two renames of a re-pull leaves the old model, put back at the next access', async () => {
    const first = await pullModel(REPO, { env })
    const oldCommit = readManifest(first.path)!.commit
    // the repository moves to a new commit; a pull of it is killed between replaceDir's renames
    await hub.close()
    writeFileSync(join(src, 'README.md'), '# tiny, v2\n')
    hub = await startHubServer({ [REPO]: { dir: src, commit: 'b'.repeat(40) } }, { lfsMin: 100_000 })
    env = { ...env, HF_ENDPOINT: hub.url }
    // (spawn, not spawnSync: the hub runs in this process and must keep answering)
    const child = spawn(process.execPath, ['--input-type=module', '-e', crashBetweenRenames(join(repoRoot, 'dist/src/core/store/pull.js'))], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await new Promise<number | null>((ok) => child.once('exit', ok))
    expect(code, stderr).toBe(137)
    expect(existsSync(modelDir())).toBe(false) // the state the crash left: no model folder…
    expect(existsSync(join(home, 'models', `.${FOLDER}.old`))).toBe(true) // …but its backup

    // any access puts the old copy back: list, -m NAME resolution, pull
    expect(listStored(env).map((m) => [m.name, m.commit])).toEqual([[REPO, oldCommit]])
    expect(resolveStoredModel(REPO, env)).toBe(modelDir())
    expect(readdirSync(join(home, 'models')).filter((n) => n.endsWith('.old'))).toEqual([])
    // and the next pull installs the new commit
    const r = await pullModel(REPO, { env })
    expect(r.commit).toBe('b'.repeat(40))
    expect(readFileSync(join(r.path, 'README.md'), 'utf8')).toBe('# tiny, v2\n')
  })
})

/** Child-process script: pull REPO, dying (exit 137, as if killed) at the second rename of the folder swap. */
function crashBetweenRenames(pullJs: string): string {
  return `
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
const rename = fs.renameSync
let swaps = 0
fs.renameSync = (a, b) => {
  // replaceDir's renames are of folders: the 1st moves the model aside, the 2nd brings the new one in
  if (fs.statSync(a).isDirectory() && ++swaps === 2) process.exit(137)
  return rename(a, b)
}
syncBuiltinESMExports()
const { pullModel } = await import(${JSON.stringify(pullJs)})
await pullModel(${JSON.stringify(REPO)})
process.exit(0)
`
}

describe('the model lock across processes', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'llm-lock-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const lockJs = join(repoRoot, 'dist/src/core/store/lock.js')

  it('a lock whose pid is not written yet is never taken over (the old lock was, between create and write)', () => {
    const path = join(dir, 'm.lock')
    writeFileSync(path, '') // what a reader could see of a lock being created by open(O_EXCL) + write
    expect(() => takeLock(path, busy)).toThrow(/busy/)
    // a lock left by a process that is gone is taken over
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeFileSync(path, `${dead.stdout} 0123abcd\n`)
    const release = takeLock(path, busy)
    expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]+\\n$`))
    expect(() => takeLock(path, busy)).toThrow(/busy/) // held by this process: busy here too
    release()
    expect(existsSync(path)).toBe(false)
  })

  it('of processes racing for one lock (a stale one in place), exactly one gets it', async () => {
    const path = join(dir, 'm.lock')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeFileSync(path, `${dead.stdout} 0123abcd\n`)
    // each child: take the lock, say got/busy, then hold it until its stdin closes
    const script = `
import { takeLock } from ${JSON.stringify(lockJs)}
let release
try { release = takeLock(${JSON.stringify(path)}, () => new Error('busy')); process.stdout.write('got\\n') } catch { process.stdout.write('busy\\n') }
process.stdin.resume(); process.stdin.on('end', () => { release?.(); process.exit(0) })
`
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }))
    const answers = await Promise.all(children.map((c) => new Promise<string>((ok) => c.stdout.once('data', (d: Buffer) => ok(d.toString().trim())))))
    for (const c of children) c.stdin.end()
    await Promise.all(children.map((c) => new Promise((ok) => c.once('exit', ok))))
    expect(answers.sort()).toEqual(['busy', 'busy', 'busy', 'got'])
    expect(existsSync(path)).toBe(false)
    mkdirSync(join(dir, 'x')) // the folder is still usable: nothing left behind but what we made
    expect(readdirSync(dir).sort()).toEqual(['x'])
  })
})
