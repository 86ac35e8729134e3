import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { needs, repoRoot, runCli, SCRIPT, SHARED } from '../helpers.js'
import { storiesOptimumFolder } from '../core/model/fixtures.js'
import { unescapeLine } from '../../src/core/chat/plain.js'

const errLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('llm '))

needs(SHARED).describe('llm chat (built CLI, stories260K)', () => {
  let dir: string
  beforeAll(() => { dir = storiesOptimumFolder() })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('plain mode: one stdout line per stdin line, the same answers `llm generate` gives for the transcript', () => {
    const r = runCli(['chat', '-m', dir, '--temperature', '0', '-n', '24'], { input: 'Once upon a time\n\nThe cat\n' })
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines).toHaveLength(4) // 3 answers + the final newline
    expect(lines[1]).toBe('')
    const first = unescapeLine(lines[0]!)
    const g = runCli(['generate', '-m', dir, '--temperature', '0', '-n', '24', '--stop', '\\nUser:', 'User: Once upon a time\nAssistant:'])
    expect(g.code, g.stderr).toBe(0)
    expect(first).toBe(g.stdout.trim())
    const g2 = runCli(['generate', '-m', dir, '--temperature', '0', '-n', '24', '--stop', '\\nUser:', `User: Once upon a time\nAssistant: ${first}\nUser: The cat\nAssistant:`])
    expect(unescapeLine(lines[2]!)).toBe(g2.stdout.trim())
  })

  it('--json: one JSON object per input line', () => {
    const r = runCli(['chat', '-m', dir, '--temperature', '0', '-n', '8', '--json', '--system', 'Stories.'], { input: 'Hi\nBye\n' })
    expect(r.code, r.stderr).toBe(0)
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(objs.map((o) => o.prompt)).toEqual(['Hi', 'Bye'])
    for (const o of objs) expect(Object.keys(o).sort()).toEqual(['answer', 'context_max', 'context_used', 'dropped', 'finish_reason', 'prompt', 'tokens', 'tokens_per_second'])
    expect(objs[1]!.context_used).toBeGreaterThan(objs[0]!.context_used as number)
  })

  it('flag and model errors are one line naming the culprit, with exit codes 2 and 1', () => {
    let r = runCli(['chat', '-m', dir, '--temperature', '-1'], { input: 'x\n' })
    expect(r.code).toBe(2)
    expect(errLines(r.stderr)[0]).toMatch(/--temperature/)
    r = runCli(['chat', '-m', dir, '--device', 'tpu'], { input: 'x\n' })
    expect(r.code).toBe(2)
    expect(errLines(r.stderr)[0]).toMatch(/--device: unknown device 'tpu'/)
    r = runCli(['chat', '-m', 'nobody/nothing'], { input: 'x\n', env: { LLM_HOME: dir } })
    expect(r.code).toBe(1)
    expect(errLines(r.stderr)).toHaveLength(1)
    expect(errLines(r.stderr)[0]).toMatch(/^llm chat: error: nobody\/nothing: .*no model 'nobody\/nothing' in the store/)
    expect(r.stdout).toBe('')
  })

  needs(SCRIPT).it('in a pseudo-terminal: the ink view streams the same answer, shows the status line, leaves on /exit', async () => {
    const plain = runCli(['chat', '-m', dir, '--temperature', '0', '-n', '16'], { input: 'Once upon a time\n' }).stdout.trim()
    const cmd = `stty cols 100 rows 30; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(resolve(repoRoot, 'bin/run.js'))} chat -m ${JSON.stringify(dir)} --temperature 0 -n 16`
    // CI runs with CI=true, which puts ink in its no-redraw mode (final frame only): a person at a
    // terminal is what this test plays, so drop it for the child.
    const { CI: _ci, CONTINUOUS_INTEGRATION: _cint, ...env } = process.env
    const p = spawn('script', ['-qfc', cmd, '/dev/null'], { env: { ...env, TERM: 'xterm-256color', NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] })
    let raw = ''
    p.stdout.on('data', (d) => (raw += d))
    const screen = () => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
    const until = async (re: RegExp, ms = 30_000) => {
      const end = Date.now() + ms
      while (!re.test(screen())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${screen().slice(-2000)}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    const exited = new Promise<number>((ok) => p.on('close', (code) => ok(code ?? -1)))
    try {
      await until(/0 turns/)
      p.stdin.write('Once upon a time') // keys and Enter apart: a chunk with "\r" inside is a paste
      await until(/› Once upon a time/)
      p.stdin.write('\r')
      await until(/ctx \d+\/512 \(\d+%\) · 1 turn/)
      expect(screen()).toContain(plain)
      p.stdin.write('/exit')
      await until(/› \/exit/)
      p.stdin.write('\r')
      expect(await exited).toBe(0)
    } finally {
      p.kill()
    }
  })
})
