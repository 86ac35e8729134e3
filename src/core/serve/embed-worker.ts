/**
 * Worker-thread side of the server's /v1/embeddings: one model's Embedder (core/embed) runs
 * here, so onnxruntime's synchronous runs never stall the HTTP event loop (streams, /health).
 * Protocol: {id, texts} in; {id, vectors, tokens} or {id, error} out; {ready} once loaded.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { serializeError } from '../worker.js'
import { openEmbedder } from '../embed/index.js'

if (parentPort) {
  const port = parentPort
  const { dir, options } = workerData as { dir: string; options: { device?: string; threads?: number } }
  try {
    const e = await openEmbedder(dir, options)
    port.postMessage({ ready: true })
    let queue: Promise<void> = Promise.resolve()
    port.on('message', (m: { id: number; texts: string[] }) => {
      queue = queue.then(async () => {
        try {
          const tokens = m.texts.reduce((n, t) => n + e.encode(t).length, 0)
          port.postMessage({ id: m.id, vectors: await e.embed(m.texts), tokens })
        } catch (err) {
          port.postMessage({ id: m.id, error: serializeError(err) })
        }
      })
    })
  } catch (err) {
    port.postMessage({ ready: false, error: serializeError(err) })
  }
}
