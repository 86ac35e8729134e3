/**
 * /v1/embeddings against a small backend interface, so any embedding model can be served: an
 * encoder (BERT-like) or a decoder's pooled final hidden states. The server is given backends by
 * id; a `model` with none is a 404 (model_not_found), never a made-up vector.
 * `lazyEmbedder` serves core/embed's Embedder of a model folder in a worker thread started on the
 * first request (a served chat model's embeddings cost nothing until asked for).
 */
import type { ServerResponse } from 'node:http'
import { ApiError, badRequest, sendJson } from './errors.js'
import type { EmbeddingsRequest } from './requests.js'
import type { Worker } from 'node:worker_threads'
import { deserializeError, startWorker, type SerializedError } from '../worker.js'

export interface EmbeddingsBackend {
  /** the id clients name in `model` */
  readonly id: string
  /** one vector per text, in order, and the number of input tokens used */
  embed(texts: readonly string[]): Promise<{ vectors: Float32Array[]; tokens: number }>
  close?(): Promise<void>
}

/** requests that may wait for one model's embedding worker before the server answers 429 */
const EMBED_QUEUE = 16

/**
 * The embeddings of model folder `dir` (core/embed: an encoder, or a decoder's pooled hidden
 * state) in a worker thread of their own (embed-worker.ts), started on the first request.
 */
export function lazyEmbedder(id: string, dir: string, opts: { device?: string; threads?: number } = {}): EmbeddingsBackend {
  let worker: Promise<Worker> | undefined
  let next = 1
  const pending = new Map<number, { resolve: (r: { vectors: Float32Array[]; tokens: number }) => void; reject: (e: Error) => void }>()
  const start = (): Promise<Worker> => new Promise((resolve, reject) => {
    const w = startWorker(import.meta.url, 'embed-worker', { dir, options: opts })
    w.on('message', (m: { ready?: boolean; id?: number; vectors?: Float32Array[]; tokens?: number; error?: SerializedError }) => {
      if (m.ready !== undefined) return m.ready ? resolve(w) : reject(deserializeError(m.error!))
      const p = pending.get(m.id!)
      if (!p) return
      pending.delete(m.id!)
      if (m.error) p.reject(deserializeError(m.error))
      else p.resolve({ vectors: m.vectors!, tokens: m.tokens! })
    })
    w.on('error', (e) => { reject(e); for (const p of pending.values()) p.reject(e); pending.clear() })
  })
  return {
    id,
    async embed(texts) {
      if (pending.size >= EMBED_QUEUE) throw new ApiError(429, `too many embedding requests for '${id}' are waiting; retry later`, 'rate_limit_error', 'queue_full')
      worker ??= start()
      const w = await worker
      const n = next++
      return new Promise((resolve, reject) => {
        pending.set(n, { resolve, reject })
        w.postMessage({ id: n, texts: [...texts] })
      })
    },
    async close() { if (worker) await (await worker.catch(() => undefined))?.terminate() },
  }
}

/** OpenAI's base64 form: the float32 values' little-endian bytes. */
export function toBase64(v: Float32Array): string {
  const le = new Uint8Array(v.length * 4)
  const view = new DataView(le.buffer)
  v.forEach((x, i) => view.setFloat32(i * 4, x, true))
  return Buffer.from(le).toString('base64')
}

export async function respondEmbeddings(backend: EmbeddingsBackend, req: EmbeddingsRequest, res: ServerResponse): Promise<{ tokens: number }> {
  const { vectors, tokens } = await backend.embed(req.input)
  const dim = vectors[0]?.length
  if (req.dimensions !== undefined && req.dimensions !== dim) {
    throw badRequest(`'${backend.id}' makes ${dim}-dimensional vectors and cannot shorten them (dimensions ${req.dimensions})`, 'dimensions', 'invalid_value')
  }
  const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: req.encodingFormat === 'base64' ? toBase64(v) : Array.from(v) }))
  sendJson(res, 200, { object: 'list', data, model: backend.id, usage: { prompt_tokens: tokens, total_tokens: tokens } })
  return { tokens }
}
