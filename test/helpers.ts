import { spawn, spawnSync } from 'node:child_process'
import { Rng } from '../src/core/rng.js'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** ../shared beside the checkout: real models, data and tools (see its README). */
export const sharedDir = resolve(repoRoot, '../shared')
export const hasShared = existsSync(sharedDir)
export const shared = (...p: string[]): string => resolve(sharedDir, ...p)
/** message for describe.skipIf / it.skipIf when ../shared is missing */
export const noSharedReason = `../shared not found at ${sharedDir}`

export interface CliResult { stdout: string; stderr: string; code: number }

/**
 * Run the built CLI (`node bin/run.js`, compiled by `npm test`'s build step) as a user would:
 * a real process, real exit code. `input` is piped to stdin; without it stdin is empty.
 */
export function runCli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [resolve(repoRoot, 'bin/run.js'), ...args], {
    input: opts.input ?? '',
    // NODE_ENV=production as a user's shell has it: vitest sets 'test', which makes oclif look for
    // TypeScript sources and warn on stderr for every command.
    env: { ...process.env, NO_COLOR: '1', NODE_ENV: 'production', ...opts.env },
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
  })
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 }
}

/** The project's seeded generator (src/core/rng.ts) as a function, so a randomized failure reproduces: uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  const rng = Rng.fromSeed(seed >>> 0)
  return () => rng.next()
}

/** runCli, but asynchronous: for tests whose server (a local hub) lives in this process and must keep answering. */
export function runCliAsync(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [resolve(repoRoot, 'bin/run.js'), ...args], { env: { ...process.env, NO_COLOR: '1', NODE_ENV: 'production', ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    if (input !== undefined) p.stdin!.end(input)
    let stdout = ''
    let stderr = ''
    p.stdout!.on('data', (d) => (stdout += d))
    p.stderr!.on('data', (d) => (stderr += d))
    p.on('close', (code) => ok({ stdout, stderr, code: code ?? -1 }))
  })
}

/**
 * Whether a test needing a reference (torch, ../shared, …) must be skipped. Missing references
 * skip with `reason` locally; in CI (the CI variable set) they are a failure, thrown here so the
 * test file fails with the reason. Use as `describe.skipIf(skipWithout(hasTorch, 'no torch'))`.
 */
export function skipWithout(present: boolean, reason: string): boolean {
  if (present) return false
  if (process.env.CI) throw new Error(`a reference this test needs is missing in CI: ${reason}`)
  return true
}
