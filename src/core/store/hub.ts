import { LlmError, usageError } from '../errors.js'

/**
 * The small part of the Hugging Face hub HTTP API that `llm models pull` needs.
 *
 *   GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true
 *       → { id, sha, siblings: [{ rfilename, size, blobId, lfs?: { sha256, size, pointerSize } }] }
 *       (`blobs=true` adds size/blobId/lfs; without it only rfilename is given)
 *   GET {endpoint}/{repo}/resolve/{commit}/{path}
 *       → the file; for LFS files a 302 to a CDN whose first response carries
 *         X-Linked-Etag ("<sha256>") and X-Linked-Size; for regular git files the ETag is the
 *         git blob id (sha1 of "blob <size>\0<bytes>"). huggingface_hub reads the same headers
 *         (file_download.py: HUGGINGFACE_HEADER_X_LINKED_ETAG / _SIZE).
 */
export interface HubOptions {
  /** HF_ENDPOINT, default https://huggingface.co */
  endpoint: string
  /** HF_TOKEN: sent as a bearer token to the endpoint's origin only (never after a cross-origin redirect) */
  token?: string
  /**
   * A request that gets no response headers, or no body bytes, for this long is given up (a
   * stalled connection would otherwise hang the pull for as long as the OS keeps it open).
   * HF_HUB_DOWNLOAD_TIMEOUT (seconds) as huggingface_hub reads it, default 10 as there.
   */
  timeoutMs: number
  /** the same for the listing request: HF_HUB_ETAG_TIMEOUT, default 10 */
  listingTimeoutMs: number
}

/** huggingface_hub's default for both timeouts (constants.py DEFAULT_DOWNLOAD_TIMEOUT / DEFAULT_ETAG_TIMEOUT) */
const DEFAULT_TIMEOUT_S = 10

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  const endpoint = (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '')
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw usageError(`not an http(s) URL: '${env.HF_ENDPOINT}'`, { where: 'HF_ENDPOINT', hint: 'e.g. HF_ENDPOINT=https://huggingface.co, or unset it' })
  }
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined
  return { endpoint, token, timeoutMs: timeoutFromEnv(env, 'HF_HUB_DOWNLOAD_TIMEOUT'), listingTimeoutMs: timeoutFromEnv(env, 'HF_HUB_ETAG_TIMEOUT') }
}

function timeoutFromEnv(env: NodeJS.ProcessEnv, name: string): number {
  const v = env[name]
  if (v === undefined || v.trim() === '') return DEFAULT_TIMEOUT_S * 1000
  const s = Number(v)
  if (!Number.isFinite(s) || s <= 0) throw usageError(`expected a number of seconds > 0, got '${v}'`, { where: name, hint: `e.g. ${name}=60, or unset it for ${DEFAULT_TIMEOUT_S}` })
  return s * 1000
}

/** HF_HUB_OFFLINE as huggingface_hub reads it: 1/ON/YES/TRUE (any case) mean offline. */
export function isOfflineEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'on', 'yes', 'true'].includes((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase())
}

export interface RemoteFile {
  /** path inside the repository, `/`-separated (already checked by checkRepoPath) */
  name: string
  size?: number
  /** LFS files: sha256 of the content */
  sha256?: string
  /** regular git files: the git blob id */
  gitSha1?: string
}

export interface RepoListing {
  repo: string
  revision: string
  /** the commit the revision pointed at: every file is fetched at this commit, so a branch moving mid-pull cannot mix versions */
  commit: string
  files: RemoteFile[]
}

/**
 * Refuse repository file names that could escape the model folder or mean different things on
 * different systems: `..` or `.` segments, absolute paths, drive letters, backslashes, NUL,
 * empty segments. A listing with such a name is refused as a whole.
 */
export function checkRepoPath(name: string): void {
  const refuse = (why: string) =>
    new LlmError(`refusing repository file name ${JSON.stringify(name)}: ${why}`, {
      where: 'hub listing',
      hint: 'the server sent an unsafe path; nothing was written',
    })
  if (name.length === 0) throw refuse('empty name')
  if (name.includes('\0')) throw refuse('contains NUL')
  if (name.includes('\\')) throw refuse('contains a backslash')
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw refuse('absolute path')
  for (const seg of name.split('/')) {
    if (seg === '') throw refuse('empty path segment')
    if (seg === '..' || seg === '.') throw refuse(`"${seg}" path segment`)
  }
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX40 = /^[0-9a-f]{40}$/

/** The hub's ETag values: quoted, sometimes weak (`W/"…"`). */
export function normalizeEtag(v: string | null | undefined): string | undefined {
  if (!v) return undefined
  return v.replace(/^W\//, '').replace(/^"|"$/g, '')
}

export async function listRepoFiles(repo: string, revision: string, opts: HubOptions): Promise<RepoListing> {
  const url = `${opts.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`
  const r = await hubGet(url, { ...opts, timeoutMs: opts.listingTimeoutMs }, {})
  if (!r.res.ok) {
    await r.cancel()
    throw httpError(r.res.status, `${repo}@${revision}`, url)
  }
  const chunks: Uint8Array[] = []
  for await (const chunk of r.chunks()) chunks.push(chunk)
  let body: { sha?: unknown; siblings?: unknown }
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body
  } catch (e) {
    throw new LlmError(`the hub's listing is not JSON`, { where: url, cause: e })
  }
  if (!Array.isArray(body.siblings)) throw new LlmError('the hub listing has no "siblings" array', { where: url })
  const commit = typeof body.sha === 'string' && /^[0-9a-f]{40}$/.test(body.sha) ? body.sha : revision
  const files: RemoteFile[] = []
  for (const s of body.siblings as Array<Record<string, unknown>>) {
    const name = s?.rfilename
    if (typeof name !== 'string') throw new LlmError('a hub listing entry has no rfilename', { where: url })
    checkRepoPath(name)
    const lfs = s.lfs as { sha256?: unknown; size?: unknown } | undefined
    const f: RemoteFile = { name }
    const size = lfs && typeof lfs.size === 'number' ? lfs.size : s.size
    if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) f.size = size
    if (lfs && typeof lfs.sha256 === 'string' && HEX64.test(lfs.sha256)) f.sha256 = lfs.sha256
    else if (!lfs && typeof s.blobId === 'string' && HEX40.test(s.blobId)) f.gitSha1 = s.blobId
    files.push(f)
  }
  return { repo, revision, commit, files }
}

/** What the hub's headers say about a file (first value seen along the redirect chain). */
export interface LinkedMeta {
  sha256?: string
  gitSha1?: string
  size?: number
}

/** One answer from the hub; read its body with chunks() (or drop it with cancel()), both under the stall timeout. */
export interface HubResponse {
  res: Response
  meta: LinkedMeta
  /** the body, chunk by chunk; throws a 'stalled' LlmError when no byte comes for `timeoutMs` */
  chunks(): AsyncGenerator<Uint8Array>
  cancel(): Promise<void>
}

/**
 * GET with redirects followed by hand (at most 5) so that the bearer token goes to the
 * endpoint's origin only, and so the hub's X-Linked-* headers on the 302 are not lost.
 * Every hop, and then every chunk of the body, must come within `opts.timeoutMs`.
 */
export async function hubGet(url: string, opts: HubOptions, headers: Record<string, string>): Promise<HubResponse> {
  const origin = new URL(opts.endpoint).origin
  const meta: LinkedMeta = {}
  let current = url
  for (let hop = 0; hop <= 5; hop++) {
    const h: Record<string, string> = { 'user-agent': 'llm-cli', 'accept-encoding': 'identity', ...headers }
    if (opts.token && new URL(current).origin === origin) h.authorization = `Bearer ${opts.token}`
    const watch = stallWatch(opts.timeoutMs)
    let res: Response
    try {
      res = await fetch(current, { headers: h, redirect: 'manual', signal: watch.signal })
    } catch (e) {
      watch.stop()
      if (watch.stalled) throw stalledError(current, opts.timeoutMs, 'no answer', e)
      const why = (e as { cause?: { code?: string; message?: string } }).cause
      throw new LlmError(`cannot reach the hub: ${why?.code ?? why?.message ?? (e as Error).message}`, {
        where: current,
        hint: 'check the network or HF_ENDPOINT; use --offline (or HF_HUB_OFFLINE=1) for models already in the store',
        cause: e,
      })
    }
    watch.stop() // headers are in; the body is watched once it is read
    collectMeta(res.headers, meta, hop === 0)
    const loc = res.headers.get('location')
    if (res.status >= 300 && res.status < 400 && loc) {
      await res.body?.cancel()
      current = new URL(loc, current).toString()
      continue
    }
    const where = current
    return {
      res,
      meta,
      async *chunks() {
        watch.kick()
        try {
          if (!res.body) return
          for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
            watch.stop() // the caller's time with the chunk (a disk write) is not the network's
            yield chunk
            watch.kick()
          }
        } catch (e) {
          throw watch.stalled ? stalledError(where, opts.timeoutMs, 'nothing received', e) : e
        } finally {
          watch.stop()
        }
      },
      async cancel() {
        watch.stop()
        await res.body?.cancel().catch(() => undefined)
      },
    }
  }
  throw new LlmError('too many redirects', { where: url })
}

/**
 * An AbortSignal that fires when `ms` pass without a kick() while armed. It is disarmed between
 * the response headers and the first read of the body, so that what the caller does in between
 * (hashing a resumed part file can take a while) is not taken for a stall.
 */
function stallWatch(ms: number): { signal: AbortSignal; stalled: boolean; kick(): void; stop(): void } {
  const ac = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const w = {
    signal: ac.signal,
    stalled: false,
    kick: () => {
      if (timer) return void timer.refresh()
      timer = setTimeout(() => {
        w.stalled = true
        ac.abort()
      }, ms)
      timer.unref() // the request's socket keeps the process alive while it waits, not this timer
    },
    stop: () => {
      clearTimeout(timer)
      timer = undefined
    },
  }
  w.kick()
  return w
}

function stalledError(where: string, ms: number, what: string, cause: unknown): LlmError {
  return new LlmError(`${what} from the server for ${ms / 1000} s (stalled connection)`, {
    where,
    hint: 'run the same command again: it resumes where it stopped (HF_HUB_DOWNLOAD_TIMEOUT=SECONDS waits longer)',
    cause,
  })
}

function collectMeta(h: Headers, meta: LinkedMeta, firstHop: boolean): void {
  const linked = normalizeEtag(h.get('x-linked-etag'))
  if (linked && HEX64.test(linked)) meta.sha256 ??= linked
  const linkedSize = Number(h.get('x-linked-size') ?? NaN)
  if (Number.isSafeInteger(linkedSize) && linkedSize >= 0) meta.size ??= linkedSize
  // A plain ETag is only meaningful from the hub itself, not from a CDN after a redirect.
  if (firstHop && !h.get('x-linked-etag')) {
    const etag = normalizeEtag(h.get('etag'))
    if (etag && HEX40.test(etag)) meta.gitSha1 ??= etag
    if (etag && HEX64.test(etag)) meta.sha256 ??= etag
  }
}

/** URL of one file at a commit; each path segment is percent-encoded. */
export function fileUrl(opts: HubOptions, repo: string, commit: string, name: string): string {
  return `${opts.endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${name.split('/').map(encodeURIComponent).join('/')}`
}

export function httpError(status: number, what: string, url: string): LlmError {
  if (status === 401 || status === 403) {
    return new LlmError(`access denied (HTTP ${status}) for ${what}`, { where: url, hint: 'the repository may be gated or private: set HF_TOKEN to a token with access' })
  }
  if (status === 404) {
    return new LlmError(`not found (HTTP 404): ${what}`, { where: url, hint: 'check the repository id and --revision (the id is OWNER/NAME as on the hub)' })
  }
  return new LlmError(`the hub answered HTTP ${status} for ${what}`, { where: url, hint: 'try again later' })
}
