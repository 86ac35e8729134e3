/**
 * Worker-thread entry for WorkerGenerator (worker-client.ts): loads the model here so that
 * onnxruntime's synchronous runs block this thread, not the UI's event loop. Protocol: the
 * client sends {id, op, args}; the worker answers {id, ok, value} / {id, ok: false, error}, and
 * streams {id, text} / {id, token} messages while generating. Aborts arrive through a
 * SharedArrayBuffer flag, which the generation loop reads between tokens without yielding.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { serializeError } from '../worker.js'
import { LocalGenerator } from './local.js'
import type { GenerateOptions } from './generator.js'
import type { ModelDtype } from '../model/folder.js'

interface Request { id: number; op: 'encode' | 'applyChatTemplate' | 'decode' | 'generate' | 'close'; args: unknown[]; abort?: SharedArrayBuffer }

if (!parentPort) throw new Error('worker.ts must run in a worker thread')
const port = parentPort
const { spec, options } = workerData as { spec?: string; options: { device?: string; threads?: number; adapter?: string; dtype?: ModelDtype } }

let generator: LocalGenerator | undefined
try {
  generator = await LocalGenerator.open(spec, { ...options, onInfo: (line) => port.postMessage({ info: line }) })
  port.postMessage({ ready: generator.info })
} catch (err) {
  port.postMessage({ ready: null, error: serializeError(err) })
}

// One request at a time, in order: the session is not re-entrant.
let queue: Promise<void> = Promise.resolve()
port.on('message', (req: Request) => {
  queue = queue.then(() => handle(req))
})

async function handle(req: Request): Promise<void> {
  const gen = generator
  try {
    if (!gen) throw new Error('the model failed to load')
    let value: unknown
    switch (req.op) {
      case 'encode': value = await gen.encode(req.args[0] as Parameters<LocalGenerator['encode']>[0]); break
      case 'applyChatTemplate': value = await gen.applyChatTemplate(req.args[0] as Parameters<LocalGenerator['applyChatTemplate']>[0], req.args[1] as boolean | undefined); break
      case 'decode': value = await gen.decode(req.args[0] as number[]); break
      case 'generate': {
        const flag = req.abort ? new Int32Array(req.abort) : undefined
        const opts = (req.args[1] ?? {}) as GenerateOptions
        value = await gen.generate(req.args[0] as Parameters<LocalGenerator['generate']>[0], {
          ...opts,
          onText: (text) => port.postMessage({ id: req.id, text }),
          onToken: (token) => port.postMessage({ id: req.id, token }),
          signal: flag ? { get aborted() { return Atomics.load(flag, 0) === 1 } } : undefined,
        })
        break
      }
      case 'close': await gen.close(); generator = undefined; value = null; break
    }
    port.postMessage({ id: req.id, ok: true, value })
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: serializeError(err) })
  }
  if (req.op === 'close') port.close()
}
