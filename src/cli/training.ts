/**
 * The CLI side of a training run (pretrain, finetune): draws the core's progress events on
 * stderr and turns the first Ctrl-C into "save a checkpoint after this step, then stop"; the
 * second one stops at once (the last checkpoint stays intact because every save is atomic).
 * `trainAndReport` is the whole command body after option parsing: run tracking, the run, and
 * the summary on stdout (--json) or stderr.
 */
import { createProgress, type Progress, type ProgressMode } from './progress.js'
import { startTraining, type TrainRequest } from '../core/train/run.js'
import type { StepMetric, TrainSummary } from '../core/train/loop.js'
import { EXIT } from '../core/errors.js'

export async function runTraining(req: TrainRequest, progressMode: ProgressMode, onStep?: (m: StepMetric) => void): Promise<TrainSummary> {
  let progress: Progress | undefined
  let firstStep = -1
  let sigints = 0
  const log = (line: string) => (progress ? progress.log(line) : process.stderr.write(line + '\n'))
  const run = startTraining(req, (e) => {
    if (e.type === 'log') return log(e.line)
    onStep?.(e.metric)
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

/** Run `req` with run tracking, print its summary; the exit code to end with (130 when interrupted). */
export async function trainAndReport(req: TrainRequest, o: { json: boolean; progress: ProgressMode; mlflow?: string; version: string }): Promise<number> {
  const { trackTraining } = await import('../core/runs/track.js')
  const track = trackTraining(req.kind, req.options, req.resume, { mlflow: o.mlflow, llmVersion: o.version, command: `llm ${req.kind}` })
  const summary = await runTraining(req, o.progress, (m) => track.step({ ...m })).catch((err: unknown) => { track.failed(err); throw err })
  track.done(summary)
  const { interrupted, saved, ...result } = summary
  if (o.json) process.stdout.write(JSON.stringify(interrupted ? { ...result, interrupted } : result) + '\n')
  else {
    const val = result.val_loss === null ? '' : `, val loss ${result.val_loss.toFixed(4)}`
    process.stderr.write(`${interrupted ? 'stopped' : 'done'} at step ${result.steps}: train loss ${result.train_loss?.toFixed(4) ?? '-'}${val}, ${Math.round(result.tokens_per_second)} tokens/s, ${result.wall_seconds.toFixed(1)} s → ${result.out}\n`)
  }
  if (!interrupted) return EXIT.ok
  process.stderr.write(saved ? `checkpoint saved; continue with: llm ${req.kind} --out ${result.out} --resume\n` : 'stopped before the first step: nothing was saved\n')
  return EXIT.interrupted
}
