/**
 * `llm serve` as a real process (built CLI): what it binds (`ss`), SIGTERM draining, and the
 * request log surviving a kill -9 in the middle of a request.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { openDb } from '../../src/core/db/index.js'
import { listRequests } from '../../src/core/db/logs.js'
import { repoRoot, runCli } from '../helpers.js'

const children: ChildProcess[] = []
const homes: string[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true })
})

function tempHome(): string {
  const h = mkdtempSync(join(tmpdir(), 'llm-serve-cli-'))
  homes.push(h)
  return h
}

/** start `llm serve --port 0 --json …` and wait for its ready line */
async function serve(args: string[], env: Record<string, string>): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  const proc = spawn(process.execPath, [resolve(repoRoot, 'bin/run.js'), 'serve', '--port', '0', '--json', ...args], {
    env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(proc)
  let err = ''
  proc.stderr!.on('data', (d) => { err += d })
  const url = await new Promise<string>((res, rej) => {
    let out = ''
    proc.stdout!.on('data', (d) => { out += d; const nl = out.indexOf('\n'); if (nl >= 0) res((JSON.parse(out.slice(0, nl)) as { url: string }).url) })
    proc.on('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)))
  })
  return { proc, url, stderr: () => err }
}

const exited = (p: ChildProcess) => new Promise<number | null>((res) => { if (p.exitCode !== null) res(p.exitCode); else p.on('exit', (c) => res(c)) })

/** local addresses listening on `port` (ss when present, else /proc/net/tcp{,6}) */
function listeners(port: number): string[] {
  const ss = spawnSync('ss', ['-ltnH'], { encoding: 'utf8' })
  if (ss.status === 0) {
    return ss.stdout.split('\n').map((l) => l.trim().split(/\s+/)[3]).filter((a): a is string => !!a && a.endsWith(`:${port}`)).map((a) => a.slice(0, a.lastIndexOf(':')))
  }
  const out: string[] = []
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (!local || state !== '0A') continue
      const [hex, p] = local.split(':')
      if (parseInt(p!, 16) !== port) continue
      out.push(hex!.length === 8 ? hex!.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.') : hex!)
    }
  }
  return out
}

describe('llm serve (process)', () => {
  it('listens on 127.0.0.1 only by default; SIGTERM finishes the running stream, then exits 0', async () => {
    const { proc, url } = await serve(['--no-log'], { LLM_HOME: tempHome() })
    const port = Number(new URL(url).port)
    expect(listeners(port)).toEqual(['127.0.0.1'])
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 })
    const stream = await client.completions.create({ model: 'default', prompt: 'KING:', temperature: 0, max_tokens: 200, stream: true })
    let text = ''
    let signalled = false
    for await (const c of stream) {
      text += c.choices[0]?.text ?? ''
      if (!signalled) { signalled = true; proc.kill('SIGTERM') }
    }
    expect(text.length).toBe(200)
    expect(await exited(proc)).toBe(0)
  })

  it('refuses a non-loopback --host without a key (exit 2, before loading anything)', () => {
    const r = runCli(['serve', '--host', '0.0.0.0', '--port', '0'], { env: { LLM_API_KEY: '' } })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--host: refusing to listen on 0\.0\.0\.0 without an API key/)
  })

  it('a kill -9 mid-request loses no committed row and leaves the database readable', async () => {
    const home = tempHome()
    const { proc, url } = await serve([], { LLM_HOME: home, LLM_NO_LOG: '' })
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 })
    const answers: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await client.completions.create({ model: 'default', prompt: `row ${i}`, temperature: 0, max_tokens: 10 })
      answers.push(r.choices[0]!.text)
    }
    const stream = await client.completions.create({ model: 'default', prompt: 'in flight', temperature: 0, max_tokens: 200, stream: true })
    try {
      for await (const c of stream) { if (c.choices[0]?.text) { proc.kill('SIGKILL'); break } }
    } catch {
      // the connection dies with the server
    }
    expect(await exited(proc)).toBe(null) // killed by a signal
    const db = openDb({ env: { ...process.env, LLM_HOME: home } })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      const rows = listRequests(db, { limit: 100 }).reverse()
      expect(rows.map((r) => r.prompt)).toEqual(['row 0', 'row 1', 'row 2', 'row 3', 'row 4'])
      expect(rows.map((r) => r.response)).toEqual(answers)
      expect(rows.every((r) => r.status === 200 && r.completion_tokens === 10)).toBe(true)
    } finally {
      db.close()
    }
  })
})
