/**
 * Main-thread side of a training run: starts the training worker (worker.ts) and reports what it
 * says through `onEvent`. The caller decides how to show progress and what a Ctrl-C means:
 * `stop()` asks the worker to save a checkpoint after the current step and return; `kill()` ends
 * it at once (every save is atomic, so the last checkpoint stays intact). Core never prints.
 */
import { LlmError, type ExitCode } from '../errors.js'
import { deserializeError, startWorker } from '../worker.js'
import type { StepMetric, TrainSummary } from './loop.js'
import type { TrainRequest, WorkerMessage } from './worker.js'

export type { TrainRequest }

export type TrainEvent = { type: 'log'; line: string } | { type: 'step'; metric: StepMetric; total: number }

export interface TrainHandle {
  done: Promise<TrainSummary>
  /** save after this step, then return (interrupted: true) */
  stop(): void
  /** end now; `done` rejects with exit code 130 */
  kill(): void
}

export function startTraining(req: TrainRequest, onEvent: (e: TrainEvent) => void): TrainHandle {
  const stopFlag = new SharedArrayBuffer(4)
  const worker = startWorker(import.meta.url, 'worker', { req, stopFlag })
  let killed = false
  const done = new Promise<TrainSummary>((resolve, reject) => {
    let settled = false
    const settle = (then: () => void) => { if (!settled) { settled = true; then() } }
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'log') onEvent({ type: 'log', line: m.line })
      else if (m.type === 'step') onEvent({ type: 'step', metric: m.metric, total: m.total })
      else {
        void worker.terminate()
        if (m.type === 'done') settle(() => resolve(m.summary))
        else settle(() => reject(deserializeError(m.error)))
      }
    })
    worker.on('error', (e) => settle(() => reject(e)))
    worker.on('exit', (code) => {
      if (killed) settle(() => reject(new LlmError('interrupted before the checkpoint was saved; the previous checkpoint is intact', { where: req.options.out, exitCode: 130 as ExitCode })))
      else if (code !== 0) settle(() => reject(new LlmError(`training worker exited with code ${code}`)))
    })
  })
  return {
    done,
    stop: () => Atomics.store(new Int32Array(stopFlag), 0, 1),
    kill: () => { killed = true; void worker.terminate() },
  }
}
