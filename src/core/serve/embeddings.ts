/**
 * /v1/embeddings against a small backend interface, so any embedding model can be served: an
 * encoder (BERT-like) or a decoder's pooled final hidden states. The server is given backends by
 * id; a `model` with none is a 404 (model_not_found), never a made-up vector.
 * `fromEmbedder` adapts core/embed's Embedder (structurally: no import, so serve does not load
 * the embedding code unless it is used).
 */
import type { ServerResponse } from 'node:http'
import { badRequest, sendJson } from './errors.js'
import type { EmbeddingsRequest } from './requests.js'

export interface EmbeddingsBackend {
  /** the id clients name in `model` */
  readonly id: string
  /** vector length */
  readonly dim: number
  /** one vector per text, in order, and the number of input tokens used */
  embed(texts: readonly string[]): Promise<{ vectors: Float32Array[]; tokens: number }>
  close?(): Promise<void>
}

/** The shape of core/embed's Embedder that this needs. */
export interface EmbedderLike {
  readonly info: { dim: number }
  encode(text: string): number[]
  embed(texts: readonly string[]): Promise<Float32Array[]>
  close(): Promise<void>
}

export function fromEmbedder(id: string, e: EmbedderLike): EmbeddingsBackend {
  return {
    id,
    dim: e.info.dim,
    async embed(texts) {
      const tokens = texts.reduce((n, t) => n + e.encode(t).length, 0)
      return { vectors: await e.embed(texts), tokens }
    },
    close: () => e.close(),
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
  if (req.dimensions !== undefined && req.dimensions !== backend.dim) {
    throw badRequest(`'${backend.id}' makes ${backend.dim}-dimensional vectors and cannot shorten them (dimensions ${req.dimensions})`, 'dimensions', 'invalid_value')
  }
  const { vectors, tokens } = await backend.embed(req.input)
  const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: req.encodingFormat === 'base64' ? toBase64(v) : Array.from(v) }))
  sendJson(res, 200, { object: 'list', data, model: backend.id, usage: { prompt_tokens: tokens, total_tokens: tokens } })
  return { tokens }
}
