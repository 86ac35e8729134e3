/**
 * `llm serve` in one call: load every model (`parallel` worker-thread generators each), then
 * listen. See server.ts for the routes and rules.
 *
 *   const server = await startServe({ models: ['./my-model'], port: 8080 })
 *   server.url                      // http://127.0.0.1:8080
 *   await server.drain()            // SIGTERM: finish what is running, then close
 */
import { usageError } from '../errors.js'
import { WorkerGenerator } from '../generate/worker-client.js'
import type { Generator } from '../generate/types.js'
import { resolveModel } from '../model/resolve.js'
import type { SessionOptions } from '../runtime/ort.js'
import type { ModelDtype } from '../model/folder.js'
import { lazyEmbedder, type EmbeddingsBackend } from './embeddings.js'
import { ModelPool } from './pool.js'
import { modelId } from '../store/paths.js'
import { checkBind, DEFAULT_HOST, LlmServer, type ServerOptions } from './server.js'

export { LlmServer, checkBind, isLoopback, DEFAULT_HOST, DEFAULT_MAX_BODY } from './server.js'
export { ModelPool } from './pool.js'
export { modelId } from '../store/paths.js'
export { ApiError } from './errors.js'
export { lazyEmbedder, toBase64, type EmbeddingsBackend } from './embeddings.js'

export interface ServeOptions extends Omit<ServerOptions, 'pools'> {
  /** model specs (-m); undefined = $LLM_MODEL, else the bundled model */
  models: (string | undefined)[]
  /** generators per model (requests decoded at once) */
  parallel?: number
  /** requests that may wait for a generator, per model */
  queue?: number
  device?: SessionOptions['device']
  threads?: number
  /** a PEFT LoRA adapter run on top of the (one) served model; its embeddings stay the base model's */
  adapter?: string
  /** which ONNX file of each folder to run */
  dtype?: ModelDtype
  /** more models that only embed (encoders): their ids join the served models' own embeddings */
  embedModels?: string[]
  onInfo?: (line: string) => void
}

export async function startServe(opts: ServeOptions): Promise<LlmServer> {
  checkBind(opts.host ?? DEFAULT_HOST, opts.apiKey, opts.insecure ?? false)
  const parallel = opts.parallel ?? 1
  const specs = opts.models.length ? opts.models : [undefined]
  if (opts.adapter && specs.length > 1) throw usageError('--adapter goes with one model', { where: '--adapter', hint: 'serve one -m with its adapter, or merge the adapter first (llm finetune merge)' })
  const pools: ModelPool[] = []
  const embeddings: EmbeddingsBackend[] = []
  const opened: Generator[] = []
  try {
    for (const spec of specs) {
      const { dir } = resolveModel(spec, opts.env)
      const id = modelId(dir, opts.env)
      if (pools.some((p) => p.id === id)) throw usageError(`model '${id}' is given twice`, { where: '--model' })
      const gens: Generator[] = []
      for (let i = 0; i < parallel; i++) {
        const g = await WorkerGenerator.open(dir, { device: opts.device, threads: opts.threads, adapter: opts.adapter, dtype: opts.dtype, onInfo: opts.onInfo })
        opened.push(g)
        gens.push(g)
      }
      pools.push(new ModelPool(id, spec && spec !== id ? [spec] : [], gens, opts.queue ?? 64))
      embeddings.push(lazyEmbedder(id, dir, { device: opts.device, threads: opts.threads }))
    }
    for (const spec of opts.embedModels ?? []) {
      const { dir } = resolveModel(spec, opts.env)
      const id = modelId(dir, opts.env)
      if (embeddings.some((e) => e.id === id)) throw usageError(`model '${id}' is given twice`, { where: '--embed-model' })
      embeddings.push(lazyEmbedder(id, dir, { device: opts.device, threads: opts.threads }))
    }
    return await LlmServer.listen({ ...opts, pools, embeddings })
  } catch (err) {
    await Promise.all(opened.map((g) => g.close()))
    throw err
  }
}
