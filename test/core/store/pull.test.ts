import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { needs, SHARED, shared } from '../../helpers.js'
import { LlmError } from '../../../src/core/errors.js'
import { pullModel } from '../../../src/core/store/pull.js'
import { readManifest } from '../../../src/core/store/manifest.js'
import { startHubServer, type HubServer } from './hub-server.js'

// Two real repositories: an ONNX model whose 1.2 MB graph is served as an LFS file (302 to a
// CDN, sha256 in X-Linked-Etag), and a folder of small regular files (git blob ids as ETags).
const ONNX = 'test-owner/stories260K-onnx'
const GPT2 = 'test-owner/tiny-gpt2'
const srcOnnx = shared('models/stories260K-onnx')
const srcGpt2 = shared('models/ortgenai-tiny-random-gpt2-fp32')

needs(SHARED).describe(`models pull against a local hub (shared models)`, () => {
  let hub: HubServer
  let home: string
  let env: NodeJS.ProcessEnv

  beforeEach(async () => {
    hub = await startHubServer({ [ONNX]: { dir: srcOnnx }, [GPT2]: { dir: srcGpt2, commit: 'a'.repeat(40) } }, { separateCdn: true })
    home = mkdtempSync(join(tmpdir(), 'llm-store-'))
    env = { LLM_HOME: home, HF_ENDPOINT: hub.url }
  })
  afterEach(async () => {
    await hub.close()
    rmSync(home, { recursive: true, force: true })
  })

  const sameBytes = (dir: string, src: string, name: string) => expect(readFileSync(join(dir, name)).equals(readFileSync(join(src, name)))).toBe(true)
  const resolves = () => hub.requests.filter((r) => r.url.includes('/resolve/') || r.url.startsWith('/cdn/'))

  it('downloads every file byte for byte into models/OWNER--NAME, with a manifest', async () => {
    const r = await pullModel(ONNX, { env })
    expect(r.status).toBe('downloaded')
    expect(r.path).toBe(join(home, 'models', 'test-owner--stories260K-onnx'))
    for (const f of ['model.onnx', 'tok512.bin', 'tok512.model']) sameBytes(r.path, srcOnnx, f)
    const m = readManifest(r.path)!
    expect(m.commit).toBe('c0ffee'.padEnd(40, '0'))
    expect(m.files.map((f) => f.name)).toEqual(['model.onnx', 'tok512.bin', 'tok512.model'])
    expect(m.files.find((f) => f.name === 'model.onnx')!.size).toBe(statSync(join(srcOnnx, 'model.onnx')).size)
    // nothing left behind in staging
    expect(readdirSync(join(home, 'models', '.partial'))).toEqual([])
    // the listing was asked for with blobs=true, and files were fetched at the listed commit
    expect(hub.requests[0]!.url).toBe(`/api/models/${ONNX}/revision/main?blobs=true`)
    expect(resolves().filter((q) => q.url.includes('/resolve/')).every((q) => q.url.includes(`/resolve/${m.commit}/`))).toBe(true)
  })

  it('--include keeps only matching files (fnmatch: * crosses folders)', async () => {
    const r = await pullModel(GPT2, { env, include: ['*.json'] })
    expect(r.files.map((f) => f.name)).toEqual(['config.json', 'genai_config.json', 'golden_greedy.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json'])
    expect(existsSync(join(r.path, 'past.onnx'))).toBe(false)
    // a second pull of the same commit adds files, keeping the first ones
    const r2 = await pullModel(GPT2, { env, include: ['past.onnx'] })
    expect(r2.files.map((f) => f.name)).toContain('config.json')
    sameBytes(r2.path, srcGpt2, 'past.onnx')
    sameBytes(r2.path, srcGpt2, 'vocab.json')
    await expect(pullModel(GPT2, { env, include: ['*.safetensors'] })).rejects.toThrow(/no file of test-owner\/tiny-gpt2 matches --include/)
  })

  it('a second pull of an unchanged repository downloads nothing', async () => {
    await pullModel(GPT2, { env })
    const before = resolves().length
    const r = await pullModel(GPT2, { env })
    expect(r.status).toBe('up-to-date')
    expect(resolves().length).toBe(before)
  })

  it('resumes an interrupted LFS download with a Range request and never shows a half model', async () => {
    hub.faults.cutAfter = { 'model.onnx': 300_000 }
    const err = await pullModel(ONNX, { env }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LlmError)
    expect((err as LlmError).message).toMatch(/download interrupted after 300000 bytes/)
    expect(existsSync(join(home, 'models', 'test-owner--stories260K-onnx'))).toBe(false)
    const part = join(home, 'models', '.partial', 'test-owner--stories260K-onnx', '.llm-parts', 'model.onnx.part')
    expect(statSync(part).size).toBe(300_000)

    const r = await pullModel(ONNX, { env })
    expect(r.status).toBe('downloaded')
    expect(r.resumedBytes).toBe(300_000)
    const total = statSync(join(srcOnnx, 'model.onnx')).size
    const ranged = hub.requests.filter((q) => q.range)
    expect(ranged.map((q) => q.range)).toEqual(['bytes=300000-', 'bytes=300000-']) // on the 302 and on the CDN
    expect(r.downloadedBytes).toBe(total - 300_000 + statSync(join(srcOnnx, 'tok512.bin')).size + statSync(join(srcOnnx, 'tok512.model')).size)
    sameBytes(r.path, srcOnnx, 'model.onnx')
  })

  it('starts over when the server ignores Range, and finishes a part file that was already whole', async () => {
    hub.faults.cutAfter = { 'model.onnx': 200_000 }
    await expect(pullModel(ONNX, { env })).rejects.toThrow(/interrupted/)
    hub.faults.ignoreRange = true
    const r = await pullModel(ONNX, { env })
    expect(r.resumedBytes).toBe(0)
    sameBytes(r.path, srcOnnx, 'model.onnx')

    // a whole file left as .part (a crash between writing and renaming): the server answers 416, the file is checked and kept
    const home2 = join(home, 'second')
    const part = join(home2, 'models', '.partial', 'test-owner--stories260K-onnx', '.llm-parts', 'model.onnx.part')
    mkdirSync(join(part, '..'), { recursive: true })
    copyFileSync(join(srcOnnx, 'model.onnx'), part)
    hub.faults.ignoreRange = false
    const r2 = await pullModel(ONNX, { env: { ...env, LLM_HOME: home2 } })
    expect(r2.resumedBytes).toBe(statSync(join(srcOnnx, 'model.onnx')).size)
    expect(hub.requests.at(-3)?.range).toBe(`bytes=${r2.resumedBytes}-`)
    sameBytes(r2.path, srcOnnx, 'model.onnx')
  })

  it('without blobs in the listing, checks sizes and hashes from the resolve headers (X-Linked-Etag, ETag)', async () => {
    hub.faults.noBlobs = true
    const r = await pullModel(ONNX, { env })
    sameBytes(r.path, srcOnnx, 'model.onnx')
    rmSync(r.path, { recursive: true })
    hub.faults.corrupt = new Set(['model.onnx'])
    await expect(pullModel(ONNX, { env })).rejects.toThrow(/sha256 mismatch/)
    hub.faults.corrupt = new Set(['tok512.bin'])
    await expect(pullModel(ONNX, { env })).rejects.toThrow(/git blob sha1 mismatch/)
  })

  it('rejects an LFS file whose sha256 does not match, deletes it and installs nothing', async () => {
    hub.faults.corrupt = new Set(['model.onnx'])
    await expect(pullModel(ONNX, { env })).rejects.toThrow(/sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}/)
    expect(existsSync(join(home, 'models', 'test-owner--stories260K-onnx'))).toBe(false)
    expect(existsSync(join(home, 'models', '.partial', 'test-owner--stories260K-onnx', '.llm-parts', 'model.onnx.part'))).toBe(false)
    // the fault gone, the same command succeeds
    hub.faults.corrupt = undefined
    const r = await pullModel(ONNX, { env })
    sameBytes(r.path, srcOnnx, 'model.onnx')
  })

  it('rejects a regular file whose git blob id does not match', async () => {
    hub.faults.corrupt = new Set(['config.json'])
    await expect(pullModel(GPT2, { env })).rejects.toThrow(/git blob sha1 mismatch/)
    expect(existsSync(join(home, 'models', 'test-owner--tiny-gpt2'))).toBe(false)
  })

  it.each(['../evil.txt', 'a/../../evil.txt', '/etc/evil', 'C:/evil', 'a\\..\\evil', 'a//b', './x'])('refuses the traversal name %j before writing anything', async (name) => {
    hub.faults.extraSiblings = [{ rfilename: name, size: 4 }]
    await expect(pullModel(GPT2, { env })).rejects.toThrow(/refusing repository file name/)
    expect(resolves()).toEqual([])
    expect(existsSync(join(home, 'evil.txt'))).toBe(false)
    expect(existsSync(join(home, 'models', 'test-owner--tiny-gpt2'))).toBe(false)
  })

  it('offline (flag or HF_HUB_OFFLINE=1) never touches the network', async () => {
    await expect(pullModel(GPT2, { env: { ...env, HF_HUB_OFFLINE: '1' } })).rejects.toThrow(/not in the store and offline mode is on/)
    await expect(pullModel(GPT2, { env, offline: true })).rejects.toThrow(/offline/)
    expect(hub.requests).toEqual([])
    await pullModel(GPT2, { env })
    const n = hub.requests.length
    const r = await pullModel(GPT2, { env: { ...env, HF_HUB_OFFLINE: 'true' } })
    expect(r.status).toBe('present-offline')
    expect(hub.requests.length).toBe(n)
  })

  it('sends HF_TOKEN to the hub but not to the CDN it redirects to', async () => {
    await pullModel(ONNX, { env: { ...env, HF_TOKEN: 'hf_secret' } })
    const hubHost = new URL(hub.url).host
    const toHub = hub.requests.filter((q) => q.host === hubHost)
    const toCdn = hub.requests.filter((q) => q.host !== hubHost)
    expect(toCdn.length).toBe(1) // model.onnx is the only LFS file
    expect(toHub.every((q) => q.auth === 'Bearer hf_secret')).toBe(true)
    expect(toCdn[0]!.auth).toBeUndefined()
  })

  it('names the repository and hints at HF_TOKEN / the id on HTTP errors', async () => {
    await expect(pullModel('test-owner/missing', { env })).rejects.toThrow(/not found \(HTTP 404\)/)
    hub.faults.listingStatus = 401
    const e = (await pullModel(GPT2, { env }).catch((x: unknown) => x)) as LlmError
    expect(e.oneLine()).toMatch(/access denied \(HTTP 401\).*hint: .*HF_TOKEN/)
    await expect(pullModel('bad--id', { env })).rejects.toThrow(/not a Hugging Face repository id/)
  })
})
