/**
 * Assembles the training graphs of a model (src/kernels/model). Every trained tensor is its own
 * input `p:<name>` (see flat.ts for why not one flat buffer); tensors that are read but not
 * trained (the frozen base under LoRA) are inputs `f:<name>`, with no gradient and no moments.
 * All graphs take `input_ids` and `targets` int32 [B, T] (targets < 0 ignored) — and, for packed
 * rows, `position_ids` and `segment_ids` int32 [B, T] — and output `loss` (mean cross-entropy
 * over non-ignored targets).
 *
 *   'step'   one whole optimisation step: forward, loss, backward, clipping, AdamW.
 *            + inputs  m:<name>, v:<name>, lr [], bias [2] (AdamW's bias corrections: adamBias)
 *            + outputs grad_norm [] (before clipping), p_out:<name>, m_out:<name>, v_out:<name>
 *   'grad'   gradient accumulation: forward + backward only.
 *            + inputs g_in:<name>; outputs g_out:<name> = g_in + ∇loss, grad_norm [] (of ∇loss)
 *   'apply'  the last micro-batch of an accumulation: like 'step', but the gradient used is
 *            (g_in + ∇loss) · grad_scale (+ inputs g_in:<name>, grad_scale [])
 *   'eval'   forward and loss only.
 *   'multi'  K whole steps in one run (ONNX Loop; parameters and moments stay inside onnxruntime
 *            between steps, so they cross into JS once per K steps, not per step).
 *            inputs as 'step' but the batch inputs are int32 [K, B, T], lr [K], bias [K, 2] (one row
 *            per step); outputs p_out/m_out/v_out:<name>, loss [K], grad_norm [K]
 */
import { gradients } from '../autodiff/backward.js'
import { Tape, type Value } from '../autodiff/tape.js'
import type { ModelConfig } from '../model/config.js'
import type { ParamSpec } from '../model/params.js'
import { modelLoss, type LoraModule } from '../model/train.js'
import { Graph, graphAttr } from '../onnx/graph.js'
import { adamw, gradNorm, type AdamWConfig, type AdamWTensor } from './adamw.js'
import { tensorName, type FlatLayout } from './flat.js'

export type TrainGraphKind = 'step' | 'grad' | 'apply' | 'eval' | 'multi'

export interface TrainGraphSpec {
  kind: TrainGraphKind
  config: ModelConfig
  adamw: AdamWConfig
  /** the trained tensors */
  layout: FlatLayout
  /** tensors read but not trained */
  frozen?: readonly ParamSpec[]
  lora?: Map<string, LoraModule>
  /** rows hold several samples: position_ids and segment_ids are inputs */
  packed?: boolean
  batchSize: number
  seqLen: number
}

/** The batch inputs every graph takes, by name. */
export function batchInputs(packed: boolean): string[] {
  return packed ? ['input_ids', 'targets', 'position_ids', 'segment_ids'] : ['input_ids', 'targets']
}

/** Declare one float32 input per tensor for `role`; returns the names in order. */
function tensorInputs(g: Graph, specs: readonly ParamSpec[], role: string): string[] {
  return specs.map((s) => g.input(tensorName(role, s), 'float32', s.shape))
}

function tensorOutputs(g: Graph, layout: FlatLayout, role: string): void {
  for (const s of layout.specs) g.output(tensorName(role, s), 'float32', s.shape)
}

/** Forward, loss and (unless `lossOnly`) each trained tensor's gradient (layout order), emitted into `g`. */
function lossAndGrad(g: Graph, spec: TrainGraphSpec, params: readonly string[], frozen: readonly string[], batch: Record<string, string>, lossOnly: boolean): { t: Tape; loss: string; grads: string[] } {
  const { config, layout, batchSize: B, seqLen: T } = spec
  const t = new Tape(g)
  const int64 = (x: string): string => g.op('Cast', [x], { to: 7 })
  const flat64 = (x: string): string => t.reshape(int64(x), [B * T])
  const leaves = layout.specs.map((s, i) => t.watch({ name: params[i], shape: s.shape }))
  const all = new Map<string, Value>(layout.specs.map((s, i) => [s.name, leaves[i]]))
  ;(spec.frozen ?? []).forEach((s, i) => all.set(s.name, { name: frozen[i], shape: s.shape }))
  const loss = modelLoss(t, config, {
    params: all, lora: spec.lora, ids: flat64(batch.input_ids), targets: flat64(batch.targets), B, T,
    positionIds: spec.packed ? int64(batch.position_ids) : undefined,
    segmentIds: spec.packed ? int64(batch.segment_ids) : undefined,
  })
  if (lossOnly) return { t, loss: loss.name, grads: [] }
  const byValue = gradients(t, loss, leaves)
  return { t, loss: loss.name, grads: params.map((p) => byValue.get(p)!) }
}

function adamwTensors(layout: FlatLayout, params: readonly string[], grads: readonly string[], m: readonly string[], v: readonly string[], outRoles: [string, string, string]): AdamWTensor[] {
  return layout.specs.map((s, i) => ({
    param: params[i], grad: grads[i], m: m[i], v: v[i], decay: s.shape.length >= 2,
    out: { param: tensorName(outRoles[0], s), m: tensorName(outRoles[1], s), v: tensorName(outRoles[2], s) },
  }))
}

export function buildTrainGraph(spec: TrainGraphSpec): Graph {
  const { kind, layout, batchSize: B, seqLen: T } = spec
  if (kind === 'multi') return buildMultiStepGraph(spec)
  const g = new Graph({ name: `${spec.config.family}_${kind}`, opset: 17, msOpset: 1 })
  const params = tensorInputs(g, layout.specs, 'p')
  const frozen = tensorInputs(g, spec.frozen ?? [], 'f')
  const batch = Object.fromEntries(batchInputs(spec.packed ?? false).map((n) => [n, g.input(n, 'int32', [B, T])]))
  const { t, loss, grads: lossGrads } = lossAndGrad(g, spec, params, frozen, batch, kind === 'eval')
  g.op('Identity', [loss], {}, { name: 'loss' })
  g.output('loss', 'float32', [])
  if (kind === 'eval') return g

  let grads = lossGrads
  if (kind === 'grad') {
    const gradIn = tensorInputs(g, layout.specs, 'g_in')
    g.op('Identity', [gradNorm(t, grads)], {}, { name: 'grad_norm' })
    layout.specs.forEach((s, i) => g.op('Add', [gradIn[i], grads[i]], {}, { name: tensorName('g_out', s) }))
    g.output('grad_norm', 'float32', [])
    tensorOutputs(g, layout, 'g_out')
    return g
  }

  const m = tensorInputs(g, layout.specs, 'm')
  const v = tensorInputs(g, layout.specs, 'v')
  const lr = g.input('lr', 'float32', [])
  const bias = g.input('bias', 'float32', [2])
  if (kind === 'apply') {
    const gradIn = tensorInputs(g, layout.specs, 'g_in')
    const scale = g.input('grad_scale', 'float32', [])
    grads = grads.map((gr, i) => g.op('Mul', [g.op('Add', [gradIn[i], gr]), scale]))
  }
  const norm = gradNorm(t, grads)
  adamw(t, spec.adamw, adamwTensors(layout, params, grads, m, v, ['p_out', 'm_out', 'v_out']), lr, bias, norm)
  g.op('Identity', [norm], {}, { name: 'grad_norm' })
  g.output('grad_norm', 'float32', [])
  for (const role of ['p_out', 'm_out', 'v_out']) tensorOutputs(g, layout, role)
  return g
}

/** 'multi': a Loop whose body is one whole step; see the header. */
function buildMultiStepGraph(spec: TrainGraphSpec): Graph {
  const { layout, batchSize: B, seqLen: T } = spec
  const g = new Graph({ name: `${spec.config.family}_multi`, opset: 17, msOpset: 1 })
  const params = tensorInputs(g, layout.specs, 'p')
  const m = tensorInputs(g, layout.specs, 'm')
  const v = tensorInputs(g, layout.specs, 'v')
  const frozen = tensorInputs(g, spec.frozen ?? [], 'f')
  const names = batchInputs(spec.packed ?? false)
  const stacked = names.map((n) => g.input(n, 'int32', ['steps', B, T]))
  const lr = g.input('lr', 'float32', ['steps'])
  const bias = g.input('bias', 'float32', ['steps', 2])
  const trips = g.op('Gather', [g.op('Shape', [stacked[0]]), g.const('int64', [], [0])], { axis: 0 })

  const body = g.subgraph('train_step_body')
  const iter = body.input('iter', 'int64', [])
  const condIn = body.input('cond_in', 'bool', [])
  const [pIn, mIn, vIn] = ['p_in', 'm_in', 'v_in'].map((role) => tensorInputs(body, layout.specs, role))
  const pick = (x: string): string => body.op('Gather', [x, iter], { axis: 0 })
  const batch = Object.fromEntries(names.map((n, i) => [n, pick(stacked[i])]))
  const { t, loss, grads } = lossAndGrad(body, spec, pIn, frozen, batch, false)
  const norm = gradNorm(t, grads)
  adamw(t, spec.adamw, adamwTensors(layout, pIn, grads, mIn, vIn, ['p_next', 'm_next', 'v_next']), pick(lr), pick(bias), norm)
  body.op('Identity', [condIn], {}, { name: 'cond_out' })
  body.op('Identity', [loss], {}, { name: 'loss_i' })
  body.op('Identity', [norm], {}, { name: 'grad_norm_i' })
  body.output('cond_out', 'bool', [])
  for (const role of ['p_next', 'm_next', 'v_next']) tensorOutputs(body, layout, role)
  body.output('loss_i', 'float32', [])
  body.output('grad_norm_i', 'float32', [])

  const carriedOut = ['p_out', 'm_out', 'v_out'].flatMap((role) => layout.specs.map((s) => tensorName(role, s)))
  g.opN('Loop', [trips, '', ...params, ...m, ...v], [...carriedOut, 'loss', 'grad_norm'], { body: graphAttr(body) })
  for (const role of ['p_out', 'm_out', 'v_out']) tensorOutputs(g, layout, role)
  g.output('loss', 'float32', ['steps'])
  g.output('grad_norm', 'float32', ['steps'])
  return g
}
