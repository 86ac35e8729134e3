/**
 * TrainSession: a model's training step as ONE onnxruntime run. Trained tensors and their AdamW
 * moments live here as one float32 buffer per tensor (layout order); each step feeds them in and
 * adopts the updated buffers the graph returns (inputs are zero-copy, outputs are fresh buffers
 * each run). Frozen tensors (a LoRA base) are fed as they are every step: no gradient, no moments.
 *
 * Gradient accumulation: `step(..., { accumulate: true })` runs the 'grad' graph and adds this
 * micro-batch's gradient to a running sum (fed back in as `grad_in`); the next step without
 * `accumulate` runs the 'apply' graph, which adds its own gradient, multiplies the sum by 1/k
 * (k = micro-batches in the group, so the update uses the MEAN of the micro-batch gradients, as
 * nanoGPT does by dividing each loss by the accumulation count) and then clips and updates.
 * The 'grad', 'apply' and 'eval' sessions are created on first use. A batch may be shorter than
 * `seqLen` (rows padded to their batch's longest): each row length gets its own graphs, made on
 * first use; the state is shared.
 */
import { LlmError, usageError } from '../../core/errors.js'
import { ModelSession, tensor, type Feeds } from '../../core/runtime/ort.js'
import type { ModelConfig } from '../model/config.js'
import { initParams, paramSpecs, type ParamSpec } from '../model/params.js'
import type { LoraModule } from '../model/train.js'
import { adamBias, type AdamWConfig } from './adamw.js'
import { flatLayout, packTensors, tensorName, unpackTensors, zeroTensors, type FlatLayout } from './flat.js'
import { batchInputs, buildTrainGraph, type TrainGraphKind } from './step-graph.js'

/** One micro-batch: int32 [B, T] each; positions and segments for packed rows. */
export interface Batch {
  inputIds: Int32Array
  targets: Int32Array
  positionIds?: Int32Array
  segmentIds?: Int32Array
}

export interface TrainSessionOptions {
  config: ModelConfig
  adamw: AdamWConfig
  /** the trained tensors; default every tensor of the model */
  trainable?: ParamSpec[]
  /** tensors read but not trained, with their values (checked against the model's shapes) */
  frozen?: Map<string, Float32Array>
  /** LoRA adapters: module → names of its A/B tensors among `trainable` */
  lora?: Map<string, LoraModule>
  /** rows hold several samples: batches carry positionIds and segmentIds */
  packed?: boolean
  batchSize: number
  seqLen: number
  /** onnxruntime device name (see core/runtime/ort.ts DEVICES); default cpu */
  device?: string
  /** intra-op threads; default: onnxruntime's choice */
  threads?: number
  /** seed for the default initialisation used when setState was never called */
  seed?: number
}

export interface TrainState {
  params: Map<string, Float32Array>
  m: Map<string, Float32Array>
  v: Map<string, Float32Array>
  /** optimisation steps taken (bias correction uses step + 1 next) */
  step: number
}

export interface StepOptions {
  /** add this micro-batch's gradient to the running sum and do not update yet */
  accumulate?: boolean
}

export interface StepResult {
  /** mean loss of this micro-batch, before the update */
  loss: number
  /** global gradient norm before clipping: of this micro-batch's gradient when accumulating,
   *  else of the gradient the update used (the accumulated mean on the last micro-batch) */
  gradNorm: number
}

export class TrainSession {
  readonly layout: FlatLayout
  private readonly frozenSpecs: ParamSpec[]
  private readonly frozen: Float32Array[]
  /** by `${kind}:${T}` */
  private readonly sessions = new Map<string, ModelSession>()
  private params?: Float32Array[]
  private m: Float32Array[]
  private v: Float32Array[]
  private stepCount = 0
  private gradSum?: Float32Array[]
  private microBatches = 0

  private constructor(readonly opts: TrainSessionOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) throw usageError(`batch size must be a positive integer, got ${opts.batchSize}`)
    if (!Number.isInteger(opts.seqLen) || opts.seqLen <= 0) throw usageError(`sequence length must be a positive integer, got ${opts.seqLen}`)
    const all = paramSpecs(opts.config)
    this.frozenSpecs = opts.frozen ? all.filter((sp) => opts.frozen!.has(sp.name)) : []
    this.frozen = opts.frozen ? packTensors(flatLayout(this.frozenSpecs), opts.frozen, 'frozen weights') : []
    this.layout = flatLayout(opts.trainable ?? all)
    this.m = zeroTensors(this.layout)
    this.v = zeroTensors(this.layout)
  }

  static async create(opts: TrainSessionOptions): Promise<TrainSession> {
    const s = new TrainSession(opts)
    await s.session('step')
    return s
  }

  /** number of trained parameters (tied embeddings counted once) */
  get numParams(): number { return this.layout.total }
  get stepsTaken(): number { return this.stepCount }

  setState(params: Map<string, Float32Array>, opt?: { m: Map<string, Float32Array>; v: Map<string, Float32Array>; step: number }): void {
    this.params = packTensors(this.layout, params, 'weights')
    if (opt) {
      this.m = packTensors(this.layout, opt.m, 'optimizer state (m)')
      this.v = packTensors(this.layout, opt.v, 'optimizer state (v)')
      if (!Number.isInteger(opt.step) || opt.step < 0) throw new LlmError(`optimizer step must be a non-negative integer, got ${opt.step}`)
      this.stepCount = opt.step
    } else {
      this.m = zeroTensors(this.layout)
      this.v = zeroTensors(this.layout)
      this.stepCount = 0
    }
    this.gradSum = undefined
    this.microBatches = 0
  }

  getState(): TrainState {
    return {
      params: unpackTensors(this.layout, this.currentParams()),
      m: unpackTensors(this.layout, this.m),
      v: unpackTensors(this.layout, this.v),
      step: this.stepCount,
    }
  }

  async step(batch: Batch, lr: number, opts: StepOptions = {}): Promise<StepResult> {
    const { feeds, T } = this.batchFeeds(batch)
    if (opts.accumulate) {
      this.addTensorFeeds(feeds, 'g_in', this.gradSum ?? zeroTensors(this.layout))
      const out = await (await this.session('grad', T)).run(feeds)
      this.gradSum = this.tensorOutputs(out, 'g_out')
      this.microBatches++
      return { loss: scalar(out.loss.data), gradNorm: scalar(out.grad_norm.data) }
    }
    if (!(lr >= 0) || !Number.isFinite(lr)) throw usageError(`learning rate must be a finite number ≥ 0, got ${lr}`)
    this.addTensorFeeds(feeds, 'm', this.m)
    this.addTensorFeeds(feeds, 'v', this.v)
    feeds.lr = tensor('float32', Float32Array.of(lr), [])
    feeds.bias = tensor('float32', Float32Array.from(adamBias(this.opts.adamw, this.stepCount + 1)), [2])
    let kind: TrainGraphKind = 'step'
    if (this.gradSum) {
      kind = 'apply'
      this.addTensorFeeds(feeds, 'g_in', this.gradSum)
      feeds.grad_scale = tensor('float32', Float32Array.of(1 / (this.microBatches + 1)), [])
    }
    const out = await (await this.session(kind, T)).run(feeds)
    this.params = this.tensorOutputs(out, 'p_out')
    this.m = this.tensorOutputs(out, 'm_out')
    this.v = this.tensorOutputs(out, 'v_out')
    this.stepCount++
    this.gradSum = undefined
    this.microBatches = 0
    return { loss: scalar(out.loss.data), gradNorm: scalar(out.grad_norm.data) }
  }

  /**
   * K optimisation steps in one onnxruntime run (K = lrs.length): the batch arrays hold the K
   * batches back to back ([K, B, T]). Same results as K calls of `step`, but the parameter and
   * moment buffers cross between onnxruntime and JS once instead of K times (fresh output buffers
   * each run; on a GPU it saves K−1 host round trips of the whole state).
   */
  async stepMany(batches: Batch, lrs: readonly number[]): Promise<StepResult[]> {
    const K = lrs.length
    if (this.gradSum) throw usageError('stepMany cannot follow an accumulating step; finish the accumulation with step() first')
    if (K === 0) return []
    for (const lr of lrs) if (!(lr >= 0) || !Number.isFinite(lr)) throw usageError(`learning rate must be a finite number ≥ 0, got ${lr}`)
    const { feeds, T } = this.batchFeeds(batches, K)
    feeds.lr = tensor('float32', Float32Array.from(lrs), [K])
    feeds.bias = tensor('float32', Float32Array.from(lrs.flatMap((_, k) => adamBias(this.opts.adamw, this.stepCount + 1 + k))), [K, 2])
    this.addTensorFeeds(feeds, 'm', this.m)
    this.addTensorFeeds(feeds, 'v', this.v)
    const out = await (await this.session('multi', T)).run(feeds)
    this.params = this.tensorOutputs(out, 'p_out')
    this.m = this.tensorOutputs(out, 'm_out')
    this.v = this.tensorOutputs(out, 'v_out')
    this.stepCount += K
    const losses = out.loss.data as Float32Array
    const norms = out.grad_norm.data as Float32Array
    return Array.from(losses, (loss, i) => ({ loss, gradNorm: norms[i] }))
  }

  /** Loss and per-tensor gradients of a batch, without updating (diagnostics and tests). */
  async gradients(batch: Batch): Promise<{ loss: number; gradNorm: number; grads: Map<string, Float32Array> }> {
    const { feeds, T } = this.batchFeeds(batch)
    this.addTensorFeeds(feeds, 'g_in', zeroTensors(this.layout))
    const out = await (await this.session('grad', T)).run(feeds)
    return { loss: scalar(out.loss.data), gradNorm: scalar(out.grad_norm.data), grads: new Map(this.layout.specs.map((s) => [s.name, out[tensorName('g_out', s)].data as Float32Array])) }
  }

  async evalLoss(batch: Batch): Promise<number> {
    const { feeds, T } = this.batchFeeds(batch)
    const out = await (await this.session('eval', T)).run(feeds)
    return scalar(out.loss.data)
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.release()
    this.sessions.clear()
  }

  private currentParams(): Float32Array[] {
    if (!this.params) {
      if (this.opts.trainable) throw new LlmError('no starting values for the trained tensors', { hint: 'call setState first' })
      this.params = packTensors(this.layout, initParams(this.opts.config, this.opts.seed ?? 0), 'weights')
    }
    return this.params
  }

  private addTensorFeeds(feeds: Feeds, role: string, data: readonly Float32Array[], specs: readonly ParamSpec[] = this.layout.specs): void {
    specs.forEach((s, i) => { feeds[tensorName(role, s)] = tensor('float32', data[i], s.shape) })
  }

  private tensorOutputs(out: Record<string, { data: unknown }>, role: string): Float32Array[] {
    return this.layout.specs.map((s) => out[tensorName(role, s)].data as Float32Array)
  }

  /** feeds for one batch, or K stacked batches ([K, B, T]) for stepMany; T ≤ seqLen from the batch */
  private batchFeeds(batch: Batch, K?: number): { feeds: Feeds; T: number } {
    const { batchSize: B, seqLen } = this.opts
    const rows = B * (K ?? 1)
    const T = batch.inputIds.length % rows === 0 && batch.inputIds.length > 0 ? Math.min(batch.inputIds.length / rows, seqLen) : seqLen
    const dims = K === undefined ? [B, T] : [K, B, T]
    const n = dims.reduce((a, b) => a * b, 1)
    const arrays: Record<string, Int32Array | undefined> = { input_ids: batch.inputIds, targets: batch.targets, position_ids: batch.positionIds, segment_ids: batch.segmentIds }
    const feeds: Feeds = {}
    for (const name of batchInputs(this.opts.packed ?? false)) {
      const a = arrays[name]
      if (!a) throw usageError(`this session trains packed rows: the batch needs ${name}`)
      if (a.length !== n) throw usageError(`${K === undefined ? 'batch' : `${K} steps`} must be ${dims.join('×')} = ${n} tokens, got ${a.length} in ${name}`)
      feeds[name] = tensor('int32', a, dims)
    }
    this.checkIds(batch.inputIds, batch.targets)
    this.addTensorFeeds(feeds, 'p', this.currentParams())
    this.addTensorFeeds(feeds, 'f', this.frozen, this.frozenSpecs)
    return { feeds, T }
  }

  private checkIds(inputIds: Int32Array, targets: Int32Array): void {
    const V = this.opts.config.vocabSize
    for (let i = 0; i < inputIds.length; i++) {
      if (inputIds[i] < 0 || inputIds[i] >= V) throw usageError(`token id ${inputIds[i]} at position ${i} is outside the vocabulary (size ${V})`)
      if (targets[i] >= V) throw usageError(`target ${targets[i]} at position ${i} is outside the vocabulary (size ${V})`)
    }
  }

  private async session(kind: TrainGraphKind, seqLen = this.opts.seqLen): Promise<ModelSession> {
    const key = `${kind}:${seqLen}`
    let s = this.sessions.get(key)
    if (!s) {
      const { config, adamw, batchSize, device, threads, lora, packed } = this.opts
      const graph = buildTrainGraph({ kind, config, adamw, layout: this.layout, frozen: this.frozenSpecs, lora, packed, batchSize, seqLen })
      s = await ModelSession.create(graph.toBytes().model, { device, threads })
      this.sessions.set(key, s)
    }
    return s
  }
}

function scalar(data: unknown): number {
  return (data as Float32Array)[0]
}
