import { LlmError } from '../errors.js'
import { BatchSampler } from '../data/batches.js'
import { Rng } from '../rng.js'
import { saveCheckpoint, STATE_FORMAT, STATE_VERSION, type RunState } from './checkpoint.js'
import type { Engine, TrainSessionLike } from './engine.js'
import { generationConfig, llamaConfigToHf } from './hf-folder.js'
import type { PartialOptions, TrainOptions } from './options.js'
import { prepareRun, type Prepared } from './prepare.js'
import { learningRate } from './schedule.js'
import { greedySample } from './sample.js'

/**
 * The training loop (nanoGPT train.py's, flat): for each step, `gradAccum` micro-batches from the
 * sampler, one AdamW update at the scheduled learning rate; validate, save and stop on request.
 * It runs inside the training worker and talks to the outside only through `events`.
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
}

export interface RunRequest {
  options: TrainOptions
  /** the options the user gave explicitly (for --resume overrides) */
  given: PartialOptions
  resume: boolean
  /** stop (as if interrupted) once this many steps are done — tests use it to cut runs exactly */
  stopAt?: number
}

/** tokens per --sample-every sample */
const SAMPLE_TOKENS = 100

/** seed of the validation batches: fixed, so every evaluation sees the same windows */
const VAL_SEED_SALT = 0x5eed

export async function runTraining(req: RunRequest, engine: Engine, events: LoopEvents): Promise<TrainSummary> {
  const p = await prepareRun(req.options, req.resume, req.given, engine)
  const o = p.options
  if (p.startStep > 0) events.log(`resuming ${o.out} at step ${p.startStep} of ${o.steps}`)
  if (p.tokensCached) events.log('tokenized data: from cache')
  const nParams = [...p.params.values()].reduce((n, a) => n + a.length, 0)
  events.log(`model: ${(nParams / 1e6).toFixed(2)}M parameters, ${o.init ? 'from --init, ' : ''}${p.config.numHiddenLayers} layers, dim ${p.config.hiddenSize}, vocab ${p.config.vocabSize}; data: ${p.train.length} train / ${p.val.length} val tokens`)

  const session = await engine.createSession({
    config: p.config,
    adamw: { beta1: o.beta1, beta2: o.beta2, eps: o.adamEps, weightDecay: o.weightDecay, gradClip: o.gradClip },
    batchSize: o.batchSize, seqLen: o.seqLen, device: o.device, threads: o.threads,
  })
  try {
    session.setState(p.params, p.optimizer)
    return await loop(p, session, engine, events, req.stopAt)
  } finally {
    await session.release()
  }
}

async function loop(p: Prepared, session: TrainSessionLike, engine: Engine, events: LoopEvents, stopAt?: number): Promise<TrainSummary> {
  const o = p.options
  const sampler = new BatchSampler(p.train, o.batchSize, o.seqLen, o.order, p.sampler)
  const schedule = { kind: o.schedule, lr: o.lr, minLr: o.minLr, warmup: o.warmup, steps: o.steps }
  const tokensPerStep = o.batchSize * o.seqLen * o.gradAccum
  const metrics = [...p.metricsLines]
  const shapes = new Map(engine.llamaParamSpecs(p.config).map((s) => [s.name, s.shape]))
  const started = Date.now()
  const startStep = p.startStep
  let step = startStep
  let trainLoss: number | null = null
  let valLoss: number | null = null
  let lastSaved = startStep
  let stepSeconds = 0 // time inside optimisation steps only (not validation or saving)

  const wall = () => p.wallSeconds + (Date.now() - started) / 1000
  const save = async () => {
    const state = session.getState()
    const run: RunState = {
      format: STATE_FORMAT, version: STATE_VERSION, step, sampler: sampler.state, options: o, config: p.config,
      dataHash: p.dataHash, wallSeconds: wall(), trainLoss: trainLoss ?? undefined, valLoss: valLoss ?? undefined,
    }
    const tokens = { bos: p.bos, eos: p.eos }
    saveCheckpoint(o.out, { state: run, params: state.params, optimizer: state }, shapes, {
      hfConfig: llamaConfigToHf(p.config, tokens), generationConfig: generationConfig(tokens),
      tokenizerJson: p.tokenizer?.hfJson, tokenizerConfigJson: p.tokenizer?.hfConfigJson, metricsLines: metrics,
    })
    lastSaved = step
  }

  const canValidate = p.val.length > o.seqLen
  if (p.val.length > 0 && !canValidate) events.log(`validation skipped: ${p.val.length} held-out tokens, fewer than --seq-len + 1`)
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
      const batch = sampler.next()
      out = await session.step(batch.inputIds, batch.targets, lr, { accumulate: a < o.gradAccum - 1 })
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
    if (canValidate && ((o.evalEvery > 0 && step % o.evalEvery === 0) || last)) {
      valLoss = await evaluate(session, p.val, o)
      m.val_loss = valLoss
      events.log(`step ${step}: train loss ${trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)}`)
    }
    if (o.sampleEvery > 0 && step % o.sampleEvery === 0) {
      // prompt: the first tokens of the held-out text (the training text if none is held out)
      const src = p.val.length > 8 ? p.val : p.train
      const prompt = Array.from(src.subarray(0, Math.min(8, Math.max(1, o.seqLen >> 1))))
      const text = await greedySample(o.out, p.config, session.getState().params, shapes, p.tokenizer?.tokenizer, prompt, SAMPLE_TOKENS)
      const shown = p.tokenizer ? p.tokenizer.tokenizer.decode(prompt) : prompt.join(' ')
      events.log(`sample at step ${step} (greedy): ${JSON.stringify(shown)} → ${JSON.stringify(text)}`)
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
      wall_seconds: wall(), out: o.out, interrupted,
    }
  }
}

/** mean loss over `evalSteps` random validation windows (the same windows every time) */
async function evaluate(session: TrainSessionLike, val: Uint32Array, o: TrainOptions): Promise<number> {
  const sampler = new BatchSampler(val, o.batchSize, o.seqLen, 'random', { rng: Rng.fromSeed(o.seed ^ VAL_SEED_SALT).state, microBatch: 0 }, 'validation data')
  let sum = 0
  for (let i = 0; i < o.evalSteps; i++) {
    const b = sampler.next()
    sum += await session.evalLoss(b.inputIds, b.targets)
  }
  return sum / o.evalSteps
}
