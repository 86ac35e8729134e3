/**
 * The CLI side of a training run (pretrain, finetune): draws the core's progress events on
 * stderr and turns the first Ctrl-C into "save a checkpoint after this step, then stop"; the
 * second one stops at once (the last checkpoint stays intact because every save is atomic).
 */
import { createProgress, type Progress, type ProgressMode } from './progress.js'
import { startTraining, type TrainRequest } from '../core/train/run.js'
import type { TrainSummary } from '../core/train/loop.js'

export async function runTraining(req: TrainRequest, progressMode: ProgressMode): Promise<TrainSummary> {
  let progress: Progress | undefined
  let firstStep = -1
  let sigints = 0
  const log = (line: string) => (progress ? progress.log(line) : process.stderr.write(line + '\n'))
  const run = startTraining(req, (e) => {
    if (e.type === 'log') return log(e.line)
    // the bar covers the steps of this session, so its ETA is right after --resume too
    if (firstStep < 0) {
      firstStep = e.metric.step - 1
      progress = createProgress(req.kind, e.total - firstStep, progressMode)
    }
    const { step, loss, lr, tokens_per_second: tps } = e.metric
    progress!.update(step - firstStep, { step, loss: +loss.toFixed(4), lr: +lr.toPrecision(3), 'tok/s': Math.round(tps) })
  })
  const onSigint = () => {
    sigints++
    if (sigints === 1) {
      run.stop()
      log('interrupted: saving a checkpoint after this step (Ctrl-C again to stop now)')
    } else run.kill()
  }
  process.on('SIGINT', onSigint)
  try {
    const summary = await run.done
    progress?.finish({ step: summary.steps })
    return summary
  } finally {
    process.off('SIGINT', onSigint)
  }
}
