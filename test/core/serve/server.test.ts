/**
 * `llm serve`'s routes driven by the official `openai` client (6.49.0), in process, on the
 * bundled character-level model (one token per character, so token counts can be checked
 * against the text itself). References: the in-process LocalGenerator for the same prompt.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { connect } from 'node:net'
import { join, resolve } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDb } from '../../../src/core/db/index.js'
import { listRequests } from '../../../src/core/db/logs.js'
import { LocalGenerator, WorkerGenerator } from '../../../src/core/generate/index.js'
import { LlmServer, ModelPool, startServe, toBase64, type EmbeddingsBackend } from '../../../src/core/serve/index.js'
import { repoRoot } from '../../helpers.js'

const MODEL = resolve(repoRoot, 'models/default')
const home = mkdtempSync(join(tmpdir(), 'llm-serve-test-'))
const env = { ...process.env, LLM_HOME: home, LLM_NO_LOG: '' }
let server: LlmServer
let client: OpenAI
let reference: LocalGenerator

beforeAll(async () => {
  server = await startServe({ models: [MODEL], port: 0, parallel: 2, queue: 16, env, maxBodyBytes: 64 * 1024 })
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  reference = await LocalGenerator.open(MODEL)
})

afterAll(async () => {
  await server?.drain()
  await reference?.close()
  rmSync(home, { recursive: true, force: true })
})

const chatBody = { model: 'default', messages: [{ role: 'user' as const, content: 'Who is there?' }], temperature: 0, max_tokens: 40 }

async function streamChat(body: typeof chatBody & Record<string, unknown>) {
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } })
  const chunks = []
  for await (const c of stream) chunks.push(c)
  return chunks
}

describe('serve: chat and completions through the openai client', () => {
  it('lists the model', async () => {
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toEqual(['default'])
    expect((await client.models.retrieve('default')).id).toBe('default')
  })

  it('plain and streamed greedy chat are equal, with consistent usage, and match the generator', async () => {
    const plain = await client.chat.completions.create(chatBody)
    const chunks = await streamChat(chatBody)
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')
    expect(text).toBe(plain.choices[0]!.message.content)
    expect(text.length).toBeGreaterThan(0)
    // OpenAI's stream shape: role chunk first, one id/created throughout, finish chunk, then usage with no choices
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' })
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1)
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1)
    const finish = chunks.at(-2)!
    expect(finish.choices[0]!.delta).toEqual({})
    expect(finish.choices[0]!.finish_reason).toBe(plain.choices[0]!.finish_reason)
    const last = chunks.at(-1)!
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual(plain.usage)
    // the model has no chat template: the transcript `llm chat` uses; one token per character
    const transcript = 'User: Who is there?\nAssistant:'
    expect(plain.usage!.prompt_tokens).toBe(transcript.length)
    expect(plain.usage!.total_tokens).toBe(plain.usage!.prompt_tokens + plain.usage!.completion_tokens)
    const ref = await reference.generate(transcript, { maxTokens: 40, sampling: { temperature: 0 }, stop: ['\nUser:'] })
    expect(text).toBe(ref.text.replace(/^\s+/, ''))
    expect(plain.usage!.completion_tokens).toBe(ref.ids.length)
  })

  it('completions: plain = streamed = the generator, stop strings cut the text', async () => {
    const body = { model: 'default', prompt: 'ROMEO:\n', temperature: 0, max_tokens: 60 }
    const plain = await client.completions.create(body)
    const stream = await client.completions.create({ ...body, stream: true })
    let text = ''
    for await (const c of stream) text += c.choices[0]?.text ?? ''
    const ref = await reference.generate('ROMEO:\n', { maxTokens: 60, sampling: { temperature: 0 } })
    expect(plain.choices[0]!.text).toBe(ref.text)
    expect(text).toBe(ref.text)
    expect(plain.usage).toEqual({ prompt_tokens: 7, completion_tokens: 60, total_tokens: 67 })
    expect(plain.choices[0]!.finish_reason).toBe('length')
    const cut = ref.text.slice(5, 8)
    const stopped = await client.completions.create({ ...body, stop: [cut] })
    expect(stopped.choices[0]!.text).toBe(ref.text.slice(0, ref.text.indexOf(cut)))
    expect(stopped.choices[0]!.finish_reason).toBe('stop')
  })

  it('8 concurrent streams equal the single one (parallel 2, the rest queued)', async () => {
    const single = (await streamChat(chatBody)).map((c) => c.choices[0]?.delta?.content ?? '').join('')
    const many = await Promise.all(Array.from({ length: 8 }, () => streamChat(chatBody)))
    for (const chunks of many) expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(single)
  })

  it('seeded sampling repeats; n choices use seed + i', async () => {
    const body = { model: 'default', prompt: 'To be', temperature: 1, max_tokens: 30, seed: 7, n: 2 }
    const a = await client.completions.create(body)
    const b = await client.completions.create(body)
    expect(a.choices.map((c) => c.text)).toEqual(b.choices.map((c) => c.text))
    expect(a.choices[0]!.text).not.toBe(a.choices[1]!.text)
    const ref = await reference.generate('To be', { maxTokens: 30, sampling: { temperature: 1, seed: 8 } })
    expect(a.choices[1]!.text).toBe(ref.text)
    expect(a.usage!.completion_tokens).toBe(60)
  })
})

describe('serve: errors in OpenAI shape, and still serving afterwards', () => {
  const raw = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init)

  it('400 for a bad field (named in param) and for bad JSON; 404 for an unknown model or path; 413 for a big body', async () => {
    const bad = await client.chat.completions.create({ ...chatBody, temperature: 5 }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError)
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400)
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature')

    const json = await raw('/v1/chat/completions', { method: 'POST', body: '{"model": ', headers: { 'content-type': 'application/json' } })
    expect(json.status).toBe(400)
    const jbody = await json.json() as { error: Record<string, unknown> }
    expect(Object.keys(jbody.error).sort()).toEqual(['code', 'message', 'param', 'type'])
    expect(jbody.error.code).toBe('invalid_json')
    expect(JSON.stringify(jbody)).not.toMatch(/\n\s+at /) // no stack trace

    const unknown = await client.chat.completions.create({ ...chatBody, model: 'no-such-model' }).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found')
    const path = await raw('/v1/nothing-here')
    expect(path.status).toBe(404)
    expect(((await path.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')

    const big = await client.completions.create({ model: 'default', prompt: 'x'.repeat(100_000), max_tokens: 1 }).catch((e: unknown) => e)
    expect((big as { status?: number }).status).toBe(413)

    const long = await client.completions.create({ model: 'default', prompt: 'y'.repeat(300), max_tokens: 1 }).catch((e: unknown) => e)
    expect((long as { status?: number; code?: string }).status).toBe(400)
    expect((long as { code?: string }).code).toBe('context_length_exceeded')

    const ok = await client.completions.create({ model: 'default', prompt: 'A', temperature: 0, max_tokens: 3 })
    expect(ok.choices[0]!.text.length).toBe(3)
  })

  it('a client that disconnects stops its generation (logged as 499 with fewer tokens than asked)', async () => {
    const ac = new AbortController()
    const stream = await client.completions.create({ model: 'default', prompt: 'KING:', temperature: 0, max_tokens: 240, stream: true }, { signal: ac.signal })
    try {
      for await (const c of stream) { if (c.choices[0]?.text) ac.abort() }
    } catch {
      // the client reports its own abort
    }
    // the row is written when the server notices: poll the log briefly
    let row
    for (let i = 0; i < 100 && !row; i++) {
      await new Promise((r) => setTimeout(r, 20))
      const db = openDb({ env })
      row = listRequests(db, { limit: 50 }).find((r) => r.prompt === 'KING:' && r.status === 499)
      db.close()
    }
    expect(row).toBeDefined()
    expect(row!.finish_reason).toBe('abort')
    expect(row!.completion_tokens).toBeLessThan(240)
    expect((await client.completions.create({ model: 'default', prompt: 'A', temperature: 0, max_tokens: 2 })).choices[0]!.text.length).toBe(2)
  })

  it('logs every generation request with tokens, options and status', () => {
    const db = openDb({ env })
    const rows = listRequests(db, { limit: 200 })
    db.close()
    const chat = rows.find((r) => r.endpoint === '/v1/chat/completions' && r.status === 200)!
    expect(chat.source).toBe('serve')
    expect(chat.messages).toEqual([{ role: 'user', content: 'Who is there?' }])
    expect(chat.prompt_tokens).toBe('User: Who is there?\nAssistant:'.length)
    expect(chat.options).toMatchObject({ temperature: 0, max_tokens: 40 })
    expect(rows.some((r) => r.status === 400 && r.error?.includes('temperature'))).toBe(true)
    expect(rows.some((r) => r.status === 404)).toBe(true)
  })
})

describe('serve: API key, queue limits, embeddings, drain', () => {
  it('enforces the key on every route but /health', async () => {
    const keyed = await startServe({ models: [MODEL], port: 0, apiKey: 'sekret-key', env, log: false })
    try {
      const wrong = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'sekret-kez', maxRetries: 0 })
      const e = await wrong.models.list().catch((x: unknown) => x)
      expect(e).toBeInstanceOf(OpenAI.AuthenticationError)
      expect((e as { status: number }).status).toBe(401)
      expect((await fetch(`${keyed.url}/v1/models`)).status).toBe(401)
      expect((await fetch(`${keyed.url}/health`)).status).toBe(200)
      const right = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'sekret-key', maxRetries: 0 })
      expect((await right.completions.create({ model: 'default', prompt: 'A', temperature: 0, max_tokens: 2 })).choices[0]!.text.length).toBe(2)
    } finally {
      await keyed.drain()
    }
  })

  it('refuses a non-loopback host without a key', async () => {
    await expect(startServe({ models: [MODEL], host: '0.0.0.0', port: 0, env })).rejects.toThrow(/without an API key/)
  })

  it('429 when the queue is full, 503 while draining; queued work still finishes', async () => {
    const gen = await WorkerGenerator.open(MODEL)
    const pool = new ModelPool('default', [], [gen], 1)
    const s = await LlmServer.listen({ pools: [pool], port: 0, log: false, env })
    const c = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', maxRetries: 0 })
    const body = { model: 'default', prompt: 'A', temperature: 0, max_tokens: 200 }
    // one running, one queued; the third is refused
    const running = c.completions.create(body)
    const queued = c.completions.create(body)
    while (pool.queued < 1) await new Promise((r) => setTimeout(r, 5))
    const third = await c.completions.create(body).catch((x: unknown) => x)
    expect(third).toBeInstanceOf(OpenAI.RateLimitError)
    expect((third as { status: number }).status).toBe(429)
    // a request whose body is still arriving when the drain starts is answered 503
    const sock = connect(Number(new URL(s.url).port), '127.0.0.1')
    const reply = new Promise<string>((res) => { let t = ''; sock.on('data', (d) => { t += d }); sock.on('close', () => res(t)) })
    const late = JSON.stringify(body)
    sock.write(`POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${late.length}\r\n\r\n${late.slice(0, 5)}`)
    while (s.running < 3) await new Promise((r) => setTimeout(r, 5))
    const drained = s.drain()
    sock.write(late.slice(5))
    const text = await reply
    expect(text).toMatch(/^HTTP\/1\.1 503 /)
    expect(text).toContain('"code":"server_shutting_down"')
    const [a, b] = await Promise.all([running, queued])
    expect(a.choices[0]!.text).toBe(b.choices[0]!.text)
    expect(a.choices[0]!.text.length).toBe(200)
    await drained
  })

  it('without an API key, requests from web pages or rebound hosts are refused (403); curl-style loopback calls are served', async () => {
    const url = new URL(server.url)
    const post = (headers: Record<string, string>) => fetch(`${server.url}/v1/models`, { headers })
    expect((await post({})).status).toBe(200)
    expect((await post({ origin: `http://localhost:${url.port}` })).status).toBe(200)
    const cross = await post({ origin: 'https://evil.example' })
    expect(cross.status).toBe(403)
    expect(((await cross.json()) as { error: { code: string } }).error.code).toBe('forbidden_origin')
    // DNS rebinding: the page's own name, resolved to 127.0.0.1
    const rebound = await new Promise<string>((res) => {
      const sock = connect(Number(url.port), '127.0.0.1')
      let t = ''
      sock.on('data', (d) => { t += d; sock.end() })
      sock.on('close', () => res(t))
      sock.write('GET /v1/models HTTP/1.1\r\nhost: evil.example\r\nconnection: close\r\n\r\n')
    })
    expect(rebound).toMatch(/^HTTP\/1\.1 403 /)
  })

  it("embeddings of a served model are its pooled, normalised final hidden states (core/embed's, as llm embed gives)", async () => {
    const models = await client.models.list()
    const id = models.data[0]!.id
    const r = await client.embeddings.create({ model: id, input: ['ROMEO: hello', 'JULIET:'], encoding_format: 'float' })
    const { openEmbedder } = await import('../../../src/core/embed/index.js')
    const e = await openEmbedder(MODEL)
    try {
      const want = await e.embed(['ROMEO: hello', 'JULIET:'])
      r.data.forEach((d, i) => {
        expect(d.embedding.length).toBe(want[i]!.length)
        expect(Math.max(...d.embedding.map((x, j) => Math.abs(x - want[i]![j]!)))).toBeLessThan(1e-6)
      })
      expect(r.usage.prompt_tokens).toBe(e.encode('ROMEO: hello').length + e.encode('JULIET:').length)
    } finally {
      await e.close()
    }
  })

  it('embeddings: 404 for a model without a backend; a backend answers in float and base64', async () => {
    const none = await client.embeddings.create({ model: 'no-such-model', input: 'hello' }).catch((x: unknown) => x)
    expect(none).toBeInstanceOf(OpenAI.NotFoundError)
    // route plumbing: a deterministic backend
    const backend: EmbeddingsBackend = {
      id: 'test-embed',
      async embed(texts) { return { vectors: texts.map((t) => Float32Array.from([t.length, 0.5, -1 / 3])), tokens: texts.join('').length } },
    }
    const gen = await WorkerGenerator.open(MODEL)
    const s = await LlmServer.listen({ pools: [new ModelPool('default', [], [gen], 4)], embeddings: [backend], port: 0, log: false, env })
    try {
      const c = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', maxRetries: 0 })
      const f = await c.embeddings.create({ model: 'test-embed', input: ['ab', 'cde'], encoding_format: 'float' })
      expect(f.data.map((d) => d.index)).toEqual([0, 1])
      expect(f.data[1]!.embedding).toEqual(Array.from(Float32Array.from([3, 0.5, -1 / 3])))
      expect(f.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 })
      // the SDK's default asks for base64 and decodes it itself: the same floats must come back
      const b64 = await c.embeddings.create({ model: 'test-embed', input: 'cde' })
      expect(b64.data[0]!.embedding).toEqual(f.data[1]!.embedding)
      expect(toBase64(Float32Array.from([1]))).toBe(Buffer.from([0, 0, 0x80, 0x3f]).toString('base64'))
    } finally {
      await s.drain()
    }
  })
})
