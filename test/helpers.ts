import { spawnSync } from 'node:child_process'
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

/**
 * A seeded PRNG (mulberry32) for tests, so a randomized failure reproduces: uniform in [0, 1).
 * bench/tokenizer.ts keeps its own copy (the bench build does not include test/).
 */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
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
