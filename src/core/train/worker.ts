import { parentPort, workerData } from 'node:worker_threads'
import { serializeError, type SerializedError } from '../worker.js'
import { onnxEngine } from './engine.js'
import { runJob, type StepMetric, type TrainSummary } from './loop.js'
import type { FinetuneOptions, PartialOptions, TrainOptions } from './options.js'
import { pretrainJob } from './pretrain.js'

/**
 * The training worker: builds the job and runs the loop off the main thread, because
 * onnxruntime's `run()` blocks its thread for a whole step (stack-notes trap 7) and the main
 * thread must keep drawing progress and catching Ctrl-C. The stop request arrives through shared
 * memory, which the loop reads between steps without needing this thread's event loop.
 */
export type TrainRequest = ({ kind: 'pretrain'; options: TrainOptions } | { kind: 'finetune'; options: FinetuneOptions }) & {
  /** the options the user gave explicitly (for --resume overrides) */
  given: PartialOptions
  resume: boolean
  /** stop (as if interrupted) once this many steps are done — tests use it to cut runs exactly */
  stopAt?: number
}

export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'step'; metric: StepMetric; total: number }
  | { type: 'done'; summary: TrainSummary }
  | { type: 'error'; error: SerializedError }

if (parentPort) {
  const { req, stopFlag } = workerData as { req: TrainRequest; stopFlag: SharedArrayBuffer }
  const flag = new Int32Array(stopFlag)
  const post = (m: WorkerMessage) => parentPort!.postMessage(m)
  try {
    const job = req.kind === 'pretrain'
      ? await pretrainJob(req.options, req.resume, req.given)
      : await (await import('./finetune/job.js')).finetuneJob(req.options, req.resume, req.given)
    const summary = await runJob(job, onnxEngine(), {
      log: (line) => post({ type: 'log', line }),
      step: (metric, total) => post({ type: 'step', metric, total }),
      shouldStop: () => Atomics.load(flag, 0) !== 0,
    }, req.stopAt)
    post({ type: 'done', summary })
  } catch (e) {
    post({ type: 'error', error: serializeError(e) })
  }
}
