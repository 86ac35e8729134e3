import { spawn, spawnSync } from 'node:child_process'
import { uniforms } from '../src/core/rng.js'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** ../shared beside the checkout: real models, data and tools (see its README). */
export const sharedDir = resolve(repoRoot, '../shared')
export const hasShared = existsSync(sharedDir)
export const shared = (...p: string[]): string => resolve(sharedDir, ...p)

/**
 * Something a test checks against that this repository does not hold: ../shared, PyTorch
 * (/usr/bin/python3 with torch), an npm package, a system tool. `missing` is undefined when it is
 * there, else why not (probed once, on first use).
 */
export class Reference {
  private probed = false
  private why: string | undefined
  constructor(private readonly probe: () => string | undefined) {}
  get missing(): string | undefined {
    if (!this.probed) {
      this.why = this.probe()
      this.probed = true
    }
    return this.why
  }
}

export const PY = '/usr/bin/python3'
export const SHARED = new Reference(() => (hasShared ? undefined : `../shared not found at ${sharedDir}`))
/** a file or folder inside ../shared */
export const sharedFile = (...p: string[]): Reference =>
  new Reference(() => SHARED.missing ?? (existsSync(shared(...p)) ? undefined : `${relative(repoRoot, shared(...p))} not found`))
export const PYTHON = new Reference(() => (spawnSync(PY, ['-c', 'pass']).status === 0 ? undefined : `${PY} not found`))
export const TORCH = new Reference(() =>
  PYTHON.missing ?? (spawnSync(PY, ['-c', 'import torch']).status === 0 ? undefined : `${PY} cannot import torch (Debian: apt-get install python3-torch libopenblas0-pthread)`))
/** an npm package (a dev dependency used as a reference) */
export const npmPackage = (name: string): Reference => new Reference(() => {
  try {
    createRequire(resolve(repoRoot, 'package.json')).resolve(`${name}/package.json`)
    return undefined
  } catch {
    return `npm package ${name} is not installed (npm ci)`
  }
})
/** a program on PATH, probed with `ARGS` */
export const tool = (name: string, ...args: string[]): Reference =>
  new Reference(() => (spawnSync(name, args).status === 0 ? undefined : `${name} not found on PATH`))

/** util-linux `script`, which runs a command in a pseudo-terminal (the TTY tests) */
export const SCRIPT = tool('script', '--version')

const inCi = (): boolean => Boolean(process.env.CI)
const missingOf = (refs: Reference[]): string | undefined => {
  const why = refs.map((r) => r.missing).filter((w): w is string => w !== undefined)
  return why.length > 0 ? why.join('; ') : undefined
}
const ciFailure = (why: string) => new Error(`missing reference: ${why} (CI is set, so a test without its reference fails instead of skipping)`)

/**
 * The one rule for tests that need a reference: when one is missing, the test FAILS with that
 * reason if CI is set, and is skipped (the reason in its name) otherwise.
 *
 *   needs(SHARED).describe('stories260K', () => { … })
 *   needs(TORCH, SHARED).it('matches PyTorch', () => { … })
 *
 * The body of a suite whose reference is missing is not even collected (it may read the files).
 */
export function needs(...refs: Reference[]): {
  describe(title: string, fn: () => void): void
  it(title: string, fn: () => unknown, timeout?: number): void
} {
  return {
    describe(title, fn) {
      const why = missingOf(refs)
      if (why === undefined) describe(title, fn)
      else if (inCi()) describe(title, () => it('has its references', () => { throw ciFailure(why) }))
      else describe.skip(title, () => it(`skipped: ${why}`, () => undefined))
    },
    it(title, fn, timeout) {
      const why = missingOf(refs)
      if (why === undefined) it(title, fn, timeout)
      else if (inCi()) it(title, () => { throw ciFailure(why) })
      else it.skip(`${title} (skipped: ${why})`, () => undefined)
    },
  }
}

/**
 * The same rule inside a test, for a part of it that needs a reference: true when the references
 * are there; false when one is missing and CI is unset (the caller leaves that part out); throws
 * (the test fails) when one is missing and CI is set.
 */
export function have(...refs: Reference[]): boolean {
  const why = missingOf(refs)
  if (why === undefined) return true
  if (inCi()) throw ciFailure(why)
  return false
}

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
  return uniforms(seed >>> 0)
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

/** `llm convert` of ../shared's stories260K (llama2.c checkpoint + tok512.model) into `out`; fails the test if it fails. */
export function convertStories260K(out: string): string {
  const r = runCli(['convert', shared('models/stories260K/stories260K.bin'), '--from', 'llama2c', '--tokenizer', shared('models/stories260K/tok512.model'), '--out', out])
  expect(r.code, r.stderr).toBe(0)
  return out
}
