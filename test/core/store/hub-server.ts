import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative, sep } from 'node:path'

/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, serving local folders in the hub's URL
 * layout, for tests only:
 *   GET /api/models/{owner}/{name}/revision/{rev}?blobs=true → { id, sha, siblings: [...] }
 *   GET /{owner}/{name}/resolve/{rev}/{path}
 *       regular files: 200 with ETag "<git blob id>" (computed by `git hash-object`, an
 *       independent implementation of the id the client checks);
 *       LFS files (>= lfsMin bytes): 302 to /cdn/{sha256} with X-Linked-Etag "<sha256>" and
 *       X-Linked-Size, like the real hub; /cdn/ serves bytes with Range support (206).
 * Faults for tests: `cutAfter` (drop the connection after N body bytes, once per file),
 * `stallAfter` (send N body bytes, then nothing while keeping the connection open, once per file),
 * `stallListing` (never answer the next listing request),
 * `corrupt` (serve the file with one byte flipped), `extraSiblings` (inject names into the listing).
 */
export interface HubRepo {
  dir: string
  commit?: string
}

export interface HubFaults {
  cutAfter?: Record<string, number>
  stallAfter?: Record<string, number>
  stallListing?: boolean
  corrupt?: Set<string>
  extraSiblings?: Array<Record<string, unknown>>
  /** answer the listing with this status instead */
  listingStatus?: number
  /** serve whole files (200) even when asked for a Range, as some mirrors do */
  ignoreRange?: boolean
  /** list only rfilename, as the API does without blobs=true (checks then rest on the resolve headers) */
  noBlobs?: boolean
}

export interface HubServer {
  url: string
  requests: Array<{ method: string; url: string; host?: string; range?: string; auth?: string }>
  faults: HubFaults
  close(): Promise<void>
}

interface FileInfo {
  name: string
  abs: string
  size: number
  sha256: string
  gitSha1: string
  lfs: boolean
}

function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out.push(relative(dir, p).split(sep).join('/'))
    }
  }
  walk(dir)
  return out.sort()
}

export async function startHubServer(repos: Record<string, HubRepo>, opts: { lfsMin?: number; faults?: HubFaults; separateCdn?: boolean } = {}): Promise<HubServer> {
  const lfsMin = opts.lfsMin ?? 100_000
  const faults: HubFaults = opts.faults ?? {}
  const index = new Map<string, { commit: string; files: Map<string, FileInfo> }>()
  const bySha = new Map<string, FileInfo>()
  for (const [id, repo] of Object.entries(repos)) {
    const files = new Map<string, FileInfo>()
    for (const name of listFiles(repo.dir)) {
      const abs = join(repo.dir, name)
      const data = readFileSync(abs)
      const info: FileInfo = {
        name,
        abs,
        size: statSync(abs).size,
        sha256: createHash('sha256').update(data).digest('hex'),
        gitSha1: execFileSync('git', ['hash-object', '--no-filters', abs], { encoding: 'utf8' }).trim(),
        lfs: data.length >= lfsMin,
      }
      files.set(name, info)
      bySha.set(info.sha256, info)
    }
    index.set(id, { commit: repo.commit ?? 'c0ffee'.padEnd(40, '0'), files })
  }
  const requests: HubServer['requests'] = []
  const cutDone = new Set<string>()
  const stallDone = new Set<string>()

  const sendBytes = (req: IncomingMessage, res: ServerResponse, info: FileInfo, headers: Record<string, string>) => {
    let data = readFileSync(info.abs)
    if (faults.corrupt?.has(info.name)) {
      data = Buffer.from(data)
      data[data.length >> 1]! ^= 0xff
    }
    let start = 0
    const m = faults.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    if (m) {
      start = Number(m[1])
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` })
        res.end()
        return
      }
      res.writeHead(206, { ...headers, 'content-length': String(data.length - start), 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'accept-ranges': 'bytes' })
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(data.length), 'accept-ranges': 'bytes' })
    }
    const stall = faults.stallAfter?.[info.name]
    if (stall !== undefined && !stallDone.has(info.name)) {
      stallDone.add(info.name)
      res.write(data.subarray(start, start + stall)) // and then nothing: close() ends the connection
      return
    }
    const cut = faults.cutAfter?.[info.name]
    if (cut !== undefined && !cutDone.has(info.name)) {
      cutDone.add(info.name)
      res.write(data.subarray(start, start + cut), () => setTimeout(() => res.socket?.destroy(), 20))
      return
    }
    res.end(data.subarray(start))
  }

  let cdnBase = ''
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, range: req.headers.range, auth: req.headers.authorization })
    const path = decodeURIComponent(url.pathname)
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname)
    if (api) {
      const id = decodeURIComponent(api[1]!)
      const repo = index.get(id)
      if (faults.listingStatus) return void res.writeHead(faults.listingStatus).end('{}')
      if (faults.stallListing) {
        faults.stallListing = false
        return // no answer at all
      }
      if (!repo) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Repository not found"}')
      const blobs = url.searchParams.get('blobs') === 'true' && !faults.noBlobs
      const siblings: Array<Record<string, unknown>> = [...repo.files.values()].map((f) =>
        !blobs ? { rfilename: f.name }
        : f.lfs ? { rfilename: f.name, size: f.size, blobId: 'f'.repeat(40), lfs: { sha256: f.sha256, size: f.size, pointerSize: 134 } }
        : { rfilename: f.name, size: f.size, blobId: f.gitSha1 },
      )
      siblings.push(...(faults.extraSiblings ?? []))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id, sha: repo.commit, siblings }))
      return
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path)
    if (cdn && bySha.has(cdn[1]!)) return sendBytes(req, res, bySha.get(cdn[1]!)!, {})
    for (const [id, repo] of index) {
      const prefix = `/${id}/resolve/`
      if (!path.startsWith(prefix)) continue
      const rest = path.slice(prefix.length)
      const slash = rest.indexOf('/')
      const rev = rest.slice(0, slash)
      const info = repo.files.get(rest.slice(slash + 1))
      if (!info || (rev !== repo.commit && rev !== 'main')) break
      if (info.lfs) {
        res.writeHead(302, { location: `${cdnBase}/cdn/${info.sha256}`, 'x-linked-etag': `"${info.sha256}"`, 'x-linked-size': String(info.size), etag: `"${info.sha256}"`, 'x-repo-commit': repo.commit })
        res.end()
        return
      }
      return sendBytes(req, res, info, { etag: `"${info.gitSha1}"`, 'x-repo-commit': repo.commit })
    }
    res.writeHead(404).end('Entry not found')
  }
  // With separateCdn, LFS redirects go to a second server: another origin, as the hub's CDN is.
  const servers = [createServer(handler), ...(opts.separateCdn ? [createServer(handler)] : [])]
  const urls: string[] = []
  for (const s of servers) {
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
    urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)
  }
  if (opts.separateCdn) cdnBase = urls[1]!
  return {
    url: urls[0]!,
    requests,
    faults,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections()
        await new Promise<void>((ok) => s.close(() => ok()))
      }
    },
  }
}
