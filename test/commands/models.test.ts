import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type CliResult, needs, runCli, runCliAsync, shared, SHARED } from '../helpers.js'
import { startHubServer, type HubServer } from '../core/store/hub-server.js'

/** our own stderr lines (oclif may add loader warnings about other commands while they are being written) */
const errLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.startsWith('llm '))

needs(SHARED).describe(`llm models (built CLI, local hub)`, () => {
  let hub: HubServer
  let home: string
  let env: Record<string, string>
  beforeAll(async () => {
    hub = await startHubServer({ 'test-owner/tiny-gpt2': { dir: shared('models/ortgenai-tiny-random-gpt2-fp32') } })
    home = mkdtempSync(join(tmpdir(), 'llm-models-cli-'))
    env = { LLM_HOME: home, HF_ENDPOINT: hub.url }
  })
  afterAll(async () => {
    await hub.close()
    rmSync(home, { recursive: true, force: true })
  })

  it('pull → list → show → rm, with --json on each', async () => {
    let r = await runCliAsync(['models', 'list'], env)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/no models in/)

    r = await runCliAsync(['models', 'pull', 'test-owner/tiny-gpt2', '--include', '*.json', '--progress', 'jsonl'], env)
    expect(r.code, r.stderr).toBe(0)
    const path = join(home, 'models', 'test-owner--tiny-gpt2')
    expect(r.stdout).toBe(path + '\n') // stdout carries only the result
    const events = r.stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; done?: number; total?: number })
    expect(events.at(-1)).toMatchObject({ event: 'done' })
    expect(readFileSync(join(path, 'vocab.json')).equals(readFileSync(shared('models/ortgenai-tiny-random-gpt2-fp32/vocab.json')))).toBe(true)

    r = await runCliAsync(['models', 'pull', 'test-owner/tiny-gpt2', '--include', '*.json', '--json'], env)
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'up-to-date', downloaded_bytes: 0 })

    r = await runCliAsync(['models', 'list'], env)
    expect(r.stdout).toMatch(/^NAME\s+SIZE\s+FILES\s+COMMIT\ntest-owner\/tiny-gpt2\s+\d+(\.\d)? kB\s+6\s+c0ffee0000\n$/)
    r = await runCliAsync(['models', 'list', '--json'], env)
    const listed = JSON.parse(r.stdout) as { models: Array<{ name: string; files: number }> }
    expect(listed.models).toMatchObject([{ name: 'test-owner/tiny-gpt2', files: 6 }])

    r = await runCliAsync(['models', 'show', 'tiny-gpt2'], env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/layers:\s+5\n/)
    expect(r.stdout).toMatch(/vocab size:\s+1000\n/)
    expect(r.stdout).toMatch(/FILE\s+SIZE\nconfig\.json/)
    r = await runCliAsync(['models', 'show', 'test-owner/tiny-gpt2', '--json'], env)
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'test-owner/tiny-gpt2', config: { layers: 5, vocab_size: 1000 } })

    r = await runCliAsync(['models', 'rm', 'test-owner/tiny-gpt2'], env)
    expect(r.code).toBe(0)
    expect(existsSync(path)).toBe(false)
    r = await runCliAsync(['models', 'rm', 'test-owner/tiny-gpt2'], env)
    expect(r.code).toBe(1)
    expect(errLines(r)[0]).toMatch(/^llm models rm: error: test-owner\/tiny-gpt2: no model 'test-owner\/tiny-gpt2' in the store .*\(hint: .*llm models pull test-owner\/tiny-gpt2/)
  })

  it('offline and usage errors are one line with the right exit code', async () => {
    let r = await runCliAsync(['models', 'pull', 'test-owner/tiny-gpt2', '--offline'], env)
    expect(r.code).toBe(1)
    expect(errLines(r)).toHaveLength(1)
    expect(errLines(r)[0]).toMatch(/^llm models pull: error: test-owner\/tiny-gpt2: .*offline mode is on/)
    r = await runCliAsync(['models', 'pull', 'not/a/repo'], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not a Hugging Face repository id/)
    r = await runCliAsync(['models', 'show'], env)
    expect(r.code).toBe(2)
  })

  it('a converted real model (stories260K via llm convert) pulled from the hub chats by its bare store name', async () => {
    const converted = join(home, 'converted')
    const c = runCli(['convert', shared('models/stories260K/stories260K.bin'), '--from', 'llama2c', '-t', shared('models/stories260K/tok512.model'), '-o', converted])
    expect(c.code, c.stderr).toBe(0)
    const hub2 = await startHubServer({ 'karpathy/stories260K': { dir: converted } }, { lfsMin: 500_000 })
    try {
      const e = { LLM_HOME: join(home, 'h2'), HF_ENDPOINT: hub2.url }
      const r = await runCliAsync(['models', 'pull', 'karpathy/stories260K'], e)
      expect(r.code, r.stderr).toBe(0)
      // the numbers shared/README.md gives for stories260K: dim 64, hidden 172, 5 layers, 8 heads, 4 KV heads, vocab 512, seq_len 512
      const show = JSON.parse((await runCliAsync(['models', 'show', 'stories260K', '--json'], e)).stdout) as { config: Record<string, number> }
      expect(show.config).toMatchObject({ hidden_size: 64, intermediate_size: 172, layers: 5, heads: 8, kv_heads: 4, vocab_size: 512, context_length: 512 })
      const fromStore = await runCliAsync(['chat', '-m', 'stories260K', '--temperature', '0', '-n', '16', '--json'], e, 'Once upon a time\n')
      const fromDir = await runCliAsync(['chat', '-m', converted, '--temperature', '0', '-n', '16', '--json'], e, 'Once upon a time\n')
      expect(fromStore.code, fromStore.stderr).toBe(0)
      const { tokens_per_second: _a, ...a } = JSON.parse(fromStore.stdout) as { answer: string; tokens: number; tokens_per_second: number }
      const { tokens_per_second: _b, ...b } = JSON.parse(fromDir.stdout) as typeof a & { tokens_per_second: number }
      expect(a.tokens).toBeGreaterThan(0)
      expect(a).toEqual(b)
    } finally {
      await hub2.close()
    }
  })
})

