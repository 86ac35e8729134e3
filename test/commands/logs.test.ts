/** `llm generate` and `llm chat` log to $LLM_HOME/llm.sqlite; `llm logs list|show|search|rm` read it. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { unescapeLine } from '../../src/core/chat/index.js'
import { runCli } from '../helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-logs-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const home = join(dir, 'home')
const env = { LLM_HOME: home, LLM_NO_LOG: '' }

interface Row { id: number; source: string; prompt: string; response: string; messages: { role: string; content: string }[] | null; prompt_tokens: number; completion_tokens: number; options: Record<string, unknown>; finish_reason: string }
const list = (e = env): Row[] => (JSON.parse(runCli(['logs', 'list', '--json'], { env: e }).stdout) as { requests: Row[] }).requests

describe('request logging from the CLI', () => {
  it('nothing logged yet: list is empty and creates no database', () => {
    expect(list()).toEqual([])
    expect(existsSync(join(home, 'llm.sqlite'))).toBe(false)
  })

  it('llm generate logs the prompt, the answer, tokens and options; --no-log and LLM_NO_LOG do not', () => {
    const g = runCli(['generate', '--temperature', '0', '-n', '12', '--json', 'ROMEO:'], { env })
    expect(g.code, g.stderr).toBe(0)
    const out = JSON.parse(g.stdout) as { text: string; ids: number[]; prompt_ids: number[] }
    const rows = list()
    expect(rows.length).toBe(1)
    expect(rows[0]).toMatchObject({ source: 'generate', prompt: 'ROMEO:', response: out.text, prompt_tokens: out.prompt_ids.length, completion_tokens: 12, finish_reason: 'length' })
    expect(rows[0]!.options).toMatchObject({ temperature: 0, max_tokens: 12 })
    expect(runCli(['generate', '--no-log', '-n', '3', 'x'], { env }).code).toBe(0)
    expect(runCli(['generate', '-n', '3', 'x'], { env: { ...env, LLM_NO_LOG: '1' } }).code).toBe(0)
    expect(list().length).toBe(1)
  })

  it('llm chat logs one row per turn with the messages the model saw', () => {
    const c = runCli(['chat', '--temperature', '0', '-n', '8'], { env, input: 'Hello there\nAnd again\n' })
    expect(c.code, c.stderr).toBe(0)
    const answers = c.stdout.split('\n').slice(0, 2)
    const rows = list().filter((r) => r.source === 'chat').reverse()
    expect(rows.map((r) => r.messages!.at(-1)!.content)).toEqual(['Hello there', 'And again'])
    expect(rows[1]!.messages!.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    // the answer as kept in the conversation (trimmed; plain mode prints it escaped on one line)
    expect(rows.map((r) => r.response)).toEqual(answers.map((a) => unescapeLine(a).trim()))
  })

  it('show, search and rm', () => {
    const id = list().find((r) => r.source === 'generate')!.id
    const show = runCli(['logs', 'show', String(id)], { env })
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/source: {4}generate/)
    expect(show.stdout).toContain('[prompt]\nROMEO:\n')
    const found = JSON.parse(runCli(['logs', 'search', 'romeo', '--json'], { env }).stdout) as { requests: Row[] }
    expect(found.requests.map((r) => r.id)).toEqual([id])
    const text = runCli(['logs', 'search', 'again'], { env })
    expect(text.stdout).toMatch(/chat/)
    expect(runCli(['logs', 'show', '999'], { env }).code).toBe(1)
    expect(runCli(['logs', 'rm', '--before', 'soon'], { env }).code).toBe(2)
    const rm = JSON.parse(runCli(['logs', 'rm', '--before', '2999-01-01', '--json'], { env }).stdout) as { deleted: number }
    expect(rm.deleted).toBe(3)
    expect(list()).toEqual([])
  })
})
