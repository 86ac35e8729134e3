/**
 * /v1/embeddings against a small backend interface, so any embedding model can be served: an
 * encoder (BERT-like) or a decoder's pooled final hidden states. The server is given backends by
 * id; a `model` with none is a 404 (model_not_found), never a made-up vector.
 * `lazyEmbedder` serves core/embed's Embedder of a model folder, opened on the first request (a
 * served chat model's embeddings cost nothing until asked for).
 */
import type { ServerResponse } from 'node:http'
import { badRequest, sendJson } from './errors.js'
import type { EmbeddingsRequest } from './requests.js'
import type { Embedder } from '../embed/index.js'

export interface EmbeddingsBackend {
  /** the id clients name in `model` */
  readonly id: string
  /** one vector per text, in order, and the number of input tokens used */
  embed(texts: readonly string[]): Promise<{ vectors: Float32Array[]; tokens: number }>
  close?(): Promise<void>
}

/** The embeddings of model folder `dir` (core/embed: encoder, or a decoder's pooled hidden state), opened on first use. */
export function lazyEmbedder(id: string, dir: string, opts: { device?: string; threads?: number } = {}): EmbeddingsBackend {
  let opening: Promise<Embedder> | undefined
  return {
    id,
    async embed(texts) {
      // the embedding code (and onnxruntime) loads on the first request, not at start-up
      opening ??= import('../embed/index.js').then((m) => m.openEmbedder(dir, opts))
      const e = await opening
      const tokens = texts.reduce((n, t) => n + e.encode(t).length, 0)
      return { vectors: await e.embed(texts), tokens }
    },
    async close() { if (opening) await (await opening.catch(() => undefined))?.close() },
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
