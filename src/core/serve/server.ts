/**
 * `llm serve`: an OpenAI-compatible HTTP server on node:http.
 *
 *   GET  /health                 {status, models, running, queued} (no key needed; 503 while draining)
 *   GET  /v1/models[/ID]         the served models
 *   POST /v1/chat/completions    chat template, sampling, stop, seed, max_(completion_)tokens, n, stream
 *   POST /v1/completions         raw prompt, same options
 *   POST /v1/embeddings          models with an embeddings backend (embeddings.ts)
 *
 * Binds 127.0.0.1 unless told otherwise; a non-loopback host needs an API key (or `insecure`).
 * With a key, every route but /health needs `Authorization: Bearer KEY` (compared in constant
 * time). Bodies over `maxBodyBytes` are a 413. Each generation request is logged to llm.sqlite
 * (core/db/logs.ts) before its last byte is sent. `drain()` stops accepting, lets running and
 * queued requests finish, then closes the models and the log.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import { usageError } from '../errors.js'
import { RequestLog, type RequestRecord } from '../db/logs.js'
import type { Generator } from '../generate/types.js'
import { ApiError, sendError, sendJson, toApiError } from './errors.js'
import { respondEmbeddings, type EmbeddingsBackend } from './embeddings.js'
import { respondGeneration } from './generation.js'
import type { ModelPool } from './pool.js'
import { parseChatRequest, parseCompletionRequest, parseEmbeddingsRequest, type GenerationRequest } from './requests.js'

export interface ServerOptions {
  pools: ModelPool[]
  embeddings?: EmbeddingsBackend[]
  host?: string
  port?: number
  apiKey?: string
  insecure?: boolean
  /** largest request body accepted (default 4 MiB) */
  maxBodyBytes?: number
  /** log requests to llm.sqlite (default true; LLM_NO_LOG also turns it off) */
  log?: boolean
  env?: NodeJS.ProcessEnv
  /** database file (tests) */
  dbPath?: string
  onLogError?: (err: Error) => void
}

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_MAX_BODY = 4 * 1024 * 1024

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1' || host === '[::1]'
}

/** The refusal rule for --host, separate so the command can check it before loading models. */
export function checkBind(host: string, apiKey: string | undefined, insecure: boolean): void {
  if (!isLoopback(host) && !apiKey && !insecure) {
    throw usageError(`refusing to listen on ${host} without an API key: anyone who can reach it could use the server`, {
      where: '--host', hint: 'set --api-key KEY (or $LLM_API_KEY), or pass --insecure if the network is trusted',
    })
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

export class LlmServer {
  private readonly http: Server
  private readonly log: RequestLog
  private readonly keyDigest?: Buffer
  private inFlight = 0
  private draining = false
  private idleWaiters: (() => void)[] = []
  private drained?: Promise<void>
  private listenUrl = ''

  constructor(readonly opts: ServerOptions) {
    this.log = new RequestLog({ enabled: opts.log ?? true, env: opts.env, path: opts.dbPath, onError: opts.onLogError })
    if (opts.apiKey) this.keyDigest = digest(opts.apiKey)
    this.http = createServer((req, res) => { void this.handle(req, res) })
    // requestTimeout bounds receiving a request (a stalled body), not a long streamed answer
    this.http.requestTimeout = 120_000
    this.http.headersTimeout = 60_000
  }

  static async listen(opts: ServerOptions): Promise<LlmServer> {
    const host = opts.host ?? DEFAULT_HOST
    checkBind(host, opts.apiKey, opts.insecure ?? false)
    const s = new LlmServer(opts)
    await new Promise<void>((resolve, reject) => {
      s.http.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
        ? usageError(`port ${opts.port} is already in use on ${host}`, { where: '--port', hint: 'pick another port, or --port 0 for any free one' })
        : err))
      s.http.listen(opts.port ?? 8080, host.replace(/^\[|\]$/g, ''), () => resolve())
    })
    const a = s.http.address() as AddressInfo
    s.listenUrl = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
    return s
  }

  /** http://HOST:PORT as bound (the port chosen when 0 was asked) */
  get url(): string { return this.listenUrl }

  get running(): number { return this.inFlight }

  /** Stop accepting; wait for running and queued requests; close the models and the log. */
  drain(): Promise<void> {
    this.drained ??= (async () => {
      this.draining = true
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()))
      this.http.closeIdleConnections()
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
      this.http.closeAllConnections()
      await closed
      await Promise.all(this.opts.pools.map((p) => p.close()))
      await Promise.all((this.opts.embeddings ?? []).map((e) => e.close?.()))
      this.log.close()
    })()
    return this.drained
  }

  private pool(model: string): ModelPool {
    const p = this.opts.pools.find((q) => q.id === model || q.aliases.includes(model))
    if (!p) throw new ApiError(404, `The model '${model}' does not exist (served: ${this.opts.pools.map((q) => q.id).join(', ')})`, 'invalid_request_error', 'model_not_found', 'model')
    return p
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.keyDigest) return true
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')
    return m !== null && timingSafeEqual(digest(m[1]!.trim()), this.keyDigest)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++
    const started = new Date()
    const t0 = performance.now()
    const path = (req.url ?? '/').split('?')[0]!
    const logged = req.method === 'POST' && /^\/v1\/(chat\/completions|completions|embeddings)$/.test(path)
    const record: Partial<RequestRecord> & { model: string; prompt: string; response: string } = { model: '', prompt: '', response: '' }
    const finishLog = (status: number, error?: string) => {
      if (!logged) return
      this.log.record({
        ...record, createdAt: started, source: 'serve', endpoint: path, status, error, durationMs: performance.now() - t0,
        client: `${req.socket.remoteAddress ?? '?'} ${req.headers['user-agent'] ?? ''}`.trim(),
      })
    }
    try {
      if (this.draining) res.setHeader('connection', 'close')
      if (path === '/health') {
        if (req.method !== 'GET') throw methodNotAllowed('GET')
        const body = { status: this.draining ? 'draining' : 'ok', models: this.opts.pools.map((p) => p.id), running: this.inFlight - 1, queued: this.opts.pools.reduce((n, p) => n + p.queued, 0) }
        return sendJson(res, this.draining ? 503 : 200, body)
      }
      // with no key the server trusts loopback callers only: a web page the user visits must not
      // reach it (cross-origin POST, or DNS rebinding to 127.0.0.1)
      if (!this.keyDigest && !loopbackRequest(req, this.opts.insecure ?? false)) throw new ApiError(403, 'requests from web pages or other hosts need an API key on this server (start it with --api-key)', 'invalid_request_error', 'forbidden_origin')
      if (!this.authorized(req)) throw new ApiError(401, 'Incorrect API key provided (send it as "Authorization: Bearer KEY")', 'invalid_request_error', 'invalid_api_key')
      if (this.draining) throw new ApiError(503, 'the server is shutting down', 'server_error', 'server_shutting_down')
      if (path === '/v1/models' || path.startsWith('/v1/models/')) {
        if (req.method !== 'GET') throw methodNotAllowed('GET')
        const chat = new Set(this.opts.pools.map((p) => p.id))
        const list = [...this.opts.pools.map((p) => ({ id: p.id, created: p.created })), ...(this.opts.embeddings ?? []).filter((e) => !chat.has(e.id)).map((e) => ({ id: e.id, created: 0 }))]
          .map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'llm' }))
        if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: list })
        let id: string
        try { id = decodeURIComponent(path.slice('/v1/models/'.length)) } catch { id = path.slice('/v1/models/'.length) }
        const one = list.find((m) => m.id === id)
        if (!one) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model')
        return sendJson(res, 200, one)
      }
      const route = ROUTES[path]
      if (!route) throw new ApiError(404, `Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', 'unknown_url')
      if (req.method !== 'POST') throw methodNotAllowed('POST')
      const body = await readJson(req, this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY)
      // a request still arriving when the drain began is turned away; running and queued ones finish
      if (this.draining) throw new ApiError(503, 'the server is shutting down', 'server_error', 'server_shutting_down')
      if (route === 'embeddings') {
        const ereq = parseEmbeddingsRequest(body)
        Object.assign(record, { model: ereq.model, prompt: ereq.input.join('\n'), options: { encoding_format: ereq.encodingFormat, inputs: ereq.input.length } })
        const backend = (this.opts.embeddings ?? []).find((e) => e.id === ereq.model)
        if (!backend) {
          this.pool(ereq.model) // a generation model: say so; anything else: the usual 404
          throw new ApiError(404, `The model '${ereq.model}' has no embeddings on this server`, 'invalid_request_error', 'model_not_found', 'model')
        }
        const r = await respondEmbeddings(backend, ereq, res)
        record.promptTokens = r.tokens
        return finishLog(200)
      }
      const greq: GenerationRequest = route === 'chat' ? parseChatRequest(body) : parseCompletionRequest(body)
      Object.assign(record, requestRecord(greq))
      const pool = this.pool(greq.model)
      await this.generate(pool, greq, res, record, finishLog)
    } catch (err) {
      const e = toApiError(err)
      if (e.status === 499) { finishLog(499, e.message); res.destroy(); return }
      // an unauthenticated caller gets no row: the key is what keeps strangers from filling the log
      if (e.status !== 401) finishLog(e.status, e.message)
      if (e.status === 413) res.setHeader('connection', 'close')
      sendError(res, e)
    } finally {
      this.inFlight--
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w()
    }
  }

  private async generate(pool: ModelPool, greq: GenerationRequest, res: ServerResponse,
    record: Partial<RequestRecord>, finishLog: (status: number, error?: string) => void): Promise<void> {
    const ac = new AbortController()
    res.on('close', () => { if (!res.writableFinished) ac.abort() })
    const gen: Generator = await pool.acquire(ac.signal)
    try {
      if (ac.signal.aborted) throw new ApiError(499, 'the client went away', 'invalid_request_error', 'client_closed')
      await respondGeneration(pool, gen, greq, res, ac.signal, (o) => {
        Object.assign(record, {
          response: o.texts.join('\n\n'), finishReason: o.aborted ? 'abort' : o.finishReasons.join(',') || undefined,
          promptTokens: o.promptTokens, completionTokens: o.completionTokens, prefillMs: o.prefillMs, decodeMs: o.decodeMs,
        })
        finishLog(o.aborted ? 499 : 200, o.aborted ? 'the client went away' : undefined)
      })
    } catch (err) {
      // an error after the stream started: end it with an error event (its status is already 200)
      if (res.headersSent && !res.writableEnded) {
        const e = toApiError(err)
        finishLog(e.status, e.message)
        res.end(`data: ${JSON.stringify(e.body)}\n\n`)
        return
      }
      throw err
    } finally {
      pool.release(gen)
    }
  }
}

const ROUTES: Record<string, 'chat' | 'completion' | 'embeddings'> = {
  '/v1/chat/completions': 'chat', '/v1/completions': 'completion', '/v1/embeddings': 'embeddings',
}

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(405, `use ${allow} on this URL`, 'invalid_request_error', 'method_not_allowed')
}

function requestRecord(g: GenerationRequest): Partial<RequestRecord> {
  return {
    model: g.model,
    prompt: g.kind === 'chat' ? g.messages!.map((m) => m.content).join('\n') : g.prompt!,
    messages: g.messages,
    options: { ...g.sampling, max_tokens: g.maxTokens, stop: g.stop.length ? g.stop : undefined, n: g.n, stream: g.stream },
  }
}

/** The body as JSON: 413 past `limit` bytes, 400 when it does not parse. */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    const tooLarge = () => new ApiError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', 'request_too_large')
    if (declared > limit) { req.resume(); reject(tooLarge()); return }
    const parts: Buffer[] = []
    let size = 0
    let failed = false
    req.on('data', (b: Buffer) => {
      if (failed) return
      size += b.length
      if (size > limit) { failed = true; reject(tooLarge()); return }
      parts.push(b)
    })
    req.on('end', () => {
      if (failed) return
      const text = Buffer.concat(parts).toString('utf8')
      try {
        resolve(JSON.parse(text))
      } catch (err) {
        reject(new ApiError(400, `We could not parse the JSON body of your request: ${(err as Error).message}`, 'invalid_request_error', 'invalid_json'))
      }
    })
    req.on('error', (err) => { if (!failed) { failed = true; reject(err) } })
  })
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i

/**
 * Host is a loopback name (not a DNS-rebound one; with --insecure any host may call) and Origin,
 * when a browser sends one, is loopback too.
 */
function loopbackRequest(req: IncomingMessage, anyHost: boolean): boolean {
  const host = req.headers.host
  if (!anyHost && host !== undefined && !LOOPBACK_HOST.test(host)) return false
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return LOOPBACK_HOST.test(new URL(origin).host)
  } catch {
    return false
  }
}
