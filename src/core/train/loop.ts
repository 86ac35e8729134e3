import { LlmError } from '../errors.js'
import { saveCheckpoint, type RunState, STATE_FORMAT, STATE_VERSION } from './checkpoint.js'
import type { Engine, TrainSessionLike } from './engine.js'
import type { TrainJob } from './job.js'
import { learningRate } from './schedule.js'

/**
 * The training loop (nanoGPT train.py's, flat) shared by pretrain and finetune: for each step,
 * `gradAccum` micro-batches from the job's source, one AdamW update at the scheduled learning
 * rate; validate, save and stop on request. It runs inside the training worker and talks to the
 * outside only through `events`.
 */
export interface StepMetric {
  step: number
  loss: number
  lr: number
  grad_norm: number
  tokens_per_second: number
  val_loss?: number
}

export interface LoopEvents {
  /** a line for the user (stderr) */
  log(line: string): void
  /** after every step */
  step(m: StepMetric, total: number): void
  /** polled between steps: true → save a checkpoint and return */
  shouldStop(): boolean
}

export interface TrainSummary {
  steps: number
  train_loss: number | null
  val_loss: number | null
  tokens_per_second: number
  wall_seconds: number
  out: string
  interrupted: boolean
  /** a checkpoint of the last step exists in `out` (false when stopped before the first one) */
  saved: boolean
}

export async function runJob(job: TrainJob, engine: Engine, events: LoopEvents, stopAt?: number): Promise<TrainSummary> {
  const o = job.options
  for (const line of job.notes) events.log(line)
  const session = await engine.createSession({
    config: job.config,
    adamw: { beta1: o.beta1, beta2: o.beta2, eps: o.adamEps, weightDecay: o.weightDecay, gradClip: o.gradClip },
    batchSize: o.batchSize, seqLen: o.seqLen, device: o.device, threads: o.threads,
    trainable: job.trainable, frozen: job.frozen, lora: job.lora, packed: job.packed,
  })
  try {
    session.setState(job.params, job.optimizer)
    return await loop(job, session, events, stopAt)
  } finally {
    await session.release()
  }
}

async function loop(job: TrainJob, session: TrainSessionLike, events: LoopEvents, stopAt?: number): Promise<TrainSummary> {
  const o = job.options
  const schedule = { kind: o.schedule, lr: o.lr, minLr: o.minLr, warmup: o.warmup, steps: o.steps }
  const tokensPerStep = o.batchSize * o.seqLen * o.gradAccum
  const metrics = [...job.metricsLines]
  const shapes = new Map(job.trainable.map((s) => [s.name, s.shape]))
  const started = Date.now()
  const startStep = job.startStep
  let step = startStep
  let trainLoss: number | null = null
  let valLoss: number | null = null
  let lastSaved = startStep
  let stepSeconds = 0 // time inside optimisation steps only (not validation or saving)

  const wall = () => job.wallSeconds + (Date.now() - started) / 1000
  const save = async () => {
    const state = session.getState()
    const run: RunState = {
      format: STATE_FORMAT, version: STATE_VERSION, kind: job.kind, step, sampler: job.train.state, options: o,
      dataHash: job.dataHash, wallSeconds: wall(), trainLoss: trainLoss ?? undefined, valLoss: valLoss ?? undefined, extra: job.extra,
    }
    saveCheckpoint(o.out, { state: run, params: state.params, optimizer: state }, shapes, metrics, (dir, file) => job.writeOutputs(dir, state.params, file))
    lastSaved = step
  }

  if (job.validationNote) events.log(job.validationNote)
  while (step < o.steps) {
    if (events.shouldStop() || (stopAt !== undefined && step >= stopAt)) {
      if (lastSaved !== step) await save()
      return summary(true)
    }
    const t0 = performance.now()
    const lr = learningRate(schedule, step)
    let lossSum = 0
    let out = { loss: 0, gradNorm: 0 }
    for (let a = 0; a < o.gradAccum; a++) {
      out = await session.step(job.train.next(), lr, { accumulate: a < o.gradAccum - 1 })
      lossSum += out.loss
    }
    if (!Number.isFinite(lossSum)) {
      // the weights are now poisoned; the last checkpoint (if any) is still good
      throw new LlmError(`loss is ${lossSum} at step ${step + 1}`, { where: o.out, hint: lastSaved > 0 ? `lower --lr or --warmup more; the checkpoint at step ${lastSaved} is intact` : 'lower --lr or warm up for longer' })
    }
    step++
    trainLoss = lossSum / o.gradAccum
    const dt = (performance.now() - t0) / 1000
    stepSeconds += dt
    const m: StepMetric = { step, loss: trainLoss, lr, grad_norm: out.gradNorm, tokens_per_second: tokensPerStep / dt }
    const last = step === o.steps
    if (job.validation.length > 0 && ((o.evalEvery > 0 && step % o.evalEvery === 0) || last)) {
      let sum = 0
      for (const b of job.validation) sum += await session.evalLoss(b)
      valLoss = sum / job.validation.length
      m.val_loss = valLoss
      events.log(`step ${step}: train loss ${trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)}`)
    }
    if (job.sample && o.sampleEvery > 0 && step % o.sampleEvery === 0) {
      events.log(`sample at step ${step} (greedy): ${await job.sample(session.getState().params, SAMPLE_TOKENS)}`)
    }
    metrics.push(JSON.stringify(m))
    events.step(m, o.steps)
    if (last || (o.checkpointEvery > 0 && step % o.checkpointEvery === 0)) await save()
  }
  return summary(false)

  function summary(interrupted: boolean): TrainSummary {
    return {
      steps: step, train_loss: trainLoss, val_loss: valLoss,
      tokens_per_second: stepSeconds > 0 ? ((step - startStep) * tokensPerStep) / stepSeconds : 0,
      wall_seconds: wall(), out: o.out, interrupted, saved: step > 0 && lastSaved === step,
    }
  }
}

/** tokens per --sample-every sample */
const SAMPLE_TOKENS = 100
