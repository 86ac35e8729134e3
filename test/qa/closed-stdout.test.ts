import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers.js'

/**
 * `llm … | head`: when the reader of stdout goes away the command must stop at once, quietly
 * (no EPIPE stack), with exit 0 — not go on generating for nobody. Uses the bundled model.
 */
function closeAfterFirstOutput(args: string[], feed?: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(repoRoot, 'bin/run.js'), ...args], {
      cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', NODE_ENV: 'production' }, stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    // an endless stdin (like `yes hello |`): the command never runs out of input on its own
    const pump = feed === undefined ? undefined : setInterval(() => { if (child.stdin.writable) child.stdin.write(feed) }, 5)
    if (feed === undefined) child.stdin.end()
    child.stdin.on('error', () => undefined)
    child.stdout.once('data', () => child.stdout.destroy())
    // a command that goes on for nobody is killed here, and its signal fails the test
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', fail)
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      if (pump) clearInterval(pump)
      done({ code, signal, stderr })
    })
  })
}

describe('a closed stdout ends the command', () => {
  it('chat fed endless lines stops once its reader is gone', async () => {
    const r = await closeAfterFirstOutput(['chat', '-n', '4', '--seed', '1'], 'hello\n')
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /)
  }, 40_000)

  it('generate: no EPIPE stack, exit 0', async () => {
    const r = await closeAfterFirstOutput(['generate', '-n', '200', '--seed', '1', 'To be'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
  }, 40_000)
})
