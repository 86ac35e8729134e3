import { parentPort, workerData } from 'node:worker_threads'
import { LlmError } from '../errors.js'
import { onnxEngine } from './engine.js'
import { runTraining, type RunRequest } from './loop.js'

/**
 * The training worker: runs the loop off the main thread, because onnxruntime's `run()` blocks
 * its thread for a whole step (stack-notes trap 7) and the main thread must keep drawing
 * progress and catching Ctrl-C. The stop request arrives through shared memory, which the loop
 * reads between steps without needing this thread's event loop.
 */
export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'step'; metric: import('./loop.js').StepMetric; total: number }
  | { type: 'done'; summary: import('./loop.js').TrainSummary }
  | { type: 'error'; message: string; where?: string; hint?: string; exitCode?: number; stack?: string }

const { req, stopFlag } = workerData as { req: RunRequest; stopFlag: SharedArrayBuffer }
const flag = new Int32Array(stopFlag)
const post = (m: WorkerMessage) => parentPort!.postMessage(m)

try {
  const engine = onnxEngine()
  const summary = await runTraining(req, engine, {
    log: (line) => post({ type: 'log', line }),
    step: (metric, total) => post({ type: 'step', metric, total }),
    shouldStop: () => Atomics.load(flag, 0) !== 0,
  })
  post({ type: 'done', summary })
} catch (e) {
  if (e instanceof LlmError) post({ type: 'error', message: e.message, where: e.where, hint: e.hint, exitCode: e.exitCode, stack: e.stack })
  else post({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined })
}
