import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { LlmError, type ExitCode } from '../errors.js'
import { createProgress, type ProgressMode } from '../../cli/progress.js'
import type { RunRequest, TrainSummary } from './loop.js'
import type { WorkerMessage } from './worker.js'

/**
 * Main-thread side of `llm pretrain`: starts the training worker, draws progress on stderr and
 * turns the first Ctrl-C into "save a checkpoint after this step, then stop" (the second one
 * stops at once; the last checkpoint stays intact because every save is atomic).
 */
export async function pretrain(req: RunRequest, progressMode: ProgressMode): Promise<TrainSummary> {
  const stopFlag = new SharedArrayBuffer(4)
  const worker = startWorker({ req, stopFlag })
  let progress: ReturnType<typeof createProgress> | undefined
  let firstStep = -1
  let sigints = 0
  const log = (line: string) => (progress ? progress.log(line) : process.stderr.write(line + '\n'))

  return await new Promise<TrainSummary>((resolve, reject) => {
    const onSigint = () => {
      sigints++
      if (sigints === 1) {
        Atomics.store(new Int32Array(stopFlag), 0, 1)
        log('interrupted: saving a checkpoint after this step (Ctrl-C again to stop now)')
        return
      }
      void worker.terminate()
      finish(() => reject(new LlmError('interrupted before the checkpoint was saved; the previous checkpoint is intact', { where: req.options.out, exitCode: 130 })))
    }
    const finish = (then: () => void) => {
      process.off('SIGINT', onSigint)
      then()
    }
    process.on('SIGINT', onSigint)
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'log':
          log(m.line)
          break
        case 'step': {
          // the bar covers the steps of this session, so its ETA is right after --resume too
          if (firstStep < 0) {
            firstStep = m.metric.step - 1
            progress = createProgress('pretrain', m.total - firstStep, progressMode)
          }
          const { step, loss, lr, tokens_per_second: tps } = m.metric
          progress!.update(step - firstStep, { step, loss: +loss.toFixed(4), lr: +lr.toPrecision(3), 'tok/s': Math.round(tps) })
          break
        }
        case 'done':
          if (progress) progress.finish({ step: m.summary.steps })
          finish(() => resolve(m.summary))
          void worker.terminate()
          break
        case 'error': {
          const err = new LlmError(m.message, { where: m.where, hint: m.hint, exitCode: (m.exitCode ?? 1) as ExitCode })
          if (m.stack) err.stack = m.stack
          finish(() => reject(err))
          void worker.terminate()
          break
        }
      }
    })
    worker.on('error', (e) => finish(() => reject(e)))
    worker.on('exit', (code) => {
      if (code !== 0 && sigints < 2) finish(() => reject(new LlmError(`training worker exited with code ${code}`)))
    })
  })
}

/** The compiled worker beside this file; in oclif's dev mode (TypeScript sources through tsx,
 *  e.g. under vitest where NODE_ENV is not 'production') the .ts worker with tsx's loader. */
function startWorker(workerData: unknown): Worker {
  if (fileURLToPath(import.meta.url).endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api')
    const entry = new URL('./worker.ts', import.meta.url).href
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
    return new Worker(boot, { eval: true, workerData })
  }
  return new Worker(new URL('./worker.js', import.meta.url), { workerData })
}
