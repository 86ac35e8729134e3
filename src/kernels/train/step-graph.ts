/**
 * Assembles the training graphs. All share inputs `params` [N], `input_ids` and `targets` int32
 * [B, T] (targets < 0 ignored) and output `loss` (mean cross-entropy over non-ignored targets).
 *
 *   'step'   one whole optimisation step: forward, loss, backward, clipping, AdamW.
 *            + inputs  m, v [N], lr [], step [] (1-based, float)
 *            + outputs grad_norm [] (before clipping), params_out, m_out, v_out [N]
 *   'grad'   gradient accumulation: forward + backward only.
 *            + input grad_in [N]; outputs grad_out = grad_in + ∇loss [N], grad_norm [] (of ∇loss)
 *   'apply'  the last micro-batch of an accumulation: like 'step', but the gradient used is
 *            (grad_in + ∇loss) · grad_scale (+ inputs grad_in [N], grad_scale [])
 *   'eval'   forward and loss only.
 *   'multi'  K whole steps in one run (ONNX Loop; parameters and moments stay inside onnxruntime
 *            between steps, so the [N] buffers cross into JS once per K steps, not per step).
 *            inputs  params, m, v [N], input_ids/targets int32 [K, B, T], lr [K], step [] (1-based
 *            count of the first update); outputs params_out, m_out, v_out [N], loss [K], grad_norm [K]
 */
import { gradients } from '../autodiff/backward.js'
import { Tape } from '../autodiff/tape.js'
import { Graph, graphAttr } from '../onnx/graph.js'
import { adamw, gradNorm, type AdamWConfig } from './adamw.js'
import { concatGrads, decayMask, splitParams, type FlatLayout } from './flat.js'
import { llamaLoss, type LlamaConfig } from './llama.js'

export type TrainGraphKind = 'step' | 'grad' | 'apply' | 'eval' | 'multi'

export interface TrainGraphSpec {
  kind: TrainGraphKind
  config: LlamaConfig
  adamw: AdamWConfig
  layout: FlatLayout
  batchSize: number
  seqLen: number
}

/** Forward, loss and (unless `lossOnly`) the flat gradient, emitted into `g`. */
function lossAndGrad(g: Graph, spec: TrainGraphSpec, params: string, ids: string, targets: string, lossOnly: boolean): { t: Tape; loss: string; grad: string } {
  const { config, layout, batchSize: B, seqLen: T } = spec
  const t = new Tape(g)
  const flat64 = (x: string): string => t.reshape(g.op('Cast', [x], { to: 7 }), [B * T])
  const leaves = splitParams(t, layout, params)
  const loss = llamaLoss(t, config, leaves, flat64(ids), flat64(targets), B, T)
  if (lossOnly) return { t, loss: loss.name, grad: '' }
  const byValue = gradients(t, loss, [...leaves.values()])
  const grads = new Map([...leaves].map(([name, leaf]) => [name, byValue.get(leaf.name)!]))
  return { t, loss: loss.name, grad: concatGrads(t, layout, grads) }
}

export function buildTrainGraph(spec: TrainGraphSpec): Graph {
  const { kind, layout, batchSize: B, seqLen: T } = spec
  if (kind === 'multi') return buildMultiStepGraph(spec)
  const N = layout.total
  const g = new Graph({ name: `llama_${kind}`, opset: 17, msOpset: 1 })
  const params = g.input('params', 'float32', [N])
  const ids = g.input('input_ids', 'int32', [B, T])
  const targets = g.input('targets', 'int32', [B, T])
  const { t, loss, grad: flatGrad } = lossAndGrad(g, spec, params, ids, targets, kind === 'eval')
  g.op('Identity', [loss], {}, { name: 'loss' })
  g.output('loss', 'float32', [])
  if (kind === 'eval') return g

  let grad = flatGrad
  if (kind === 'grad') {
    const gradIn = g.input('grad_in', 'float32', [N])
    g.op('Identity', [gradNorm(t, grad)], {}, { name: 'grad_norm' })
    g.op('Add', [gradIn, grad], {}, { name: 'grad_out' })
    g.output('grad_norm', 'float32', [])
    g.output('grad_out', 'float32', [N])
    return g
  }

  const m = g.input('m', 'float32', [N])
  const v = g.input('v', 'float32', [N])
  const lr = g.input('lr', 'float32', [])
  const step = g.input('step', 'float32', [])
  if (kind === 'apply') {
    const gradIn = g.input('grad_in', 'float32', [N])
    const scale = g.input('grad_scale', 'float32', [])
    grad = g.op('Mul', [g.op('Add', [gradIn, grad]), scale])
  }
  const norm = gradNorm(t, grad)
  adamw(t, spec.adamw, { params, grad, m, v, lr, step, norm, decayMask: decayMask(t, layout) },
    { params: 'params_out', m: 'm_out', v: 'v_out' })
  g.op('Identity', [norm], {}, { name: 'grad_norm' })
  g.output('grad_norm', 'float32', [])
  g.output('params_out', 'float32', [N])
  g.output('m_out', 'float32', [N])
  g.output('v_out', 'float32', [N])
  return g
}

/** 'multi': a Loop whose body is one whole step; see the header. */
function buildMultiStepGraph(spec: TrainGraphSpec): Graph {
  const { layout, batchSize: B, seqLen: T } = spec
  const N = layout.total
  const g = new Graph({ name: 'llama_multi', opset: 17, msOpset: 1 })
  const params = g.input('params', 'float32', [N])
  const m = g.input('m', 'float32', [N])
  const v = g.input('v', 'float32', [N])
  const ids = g.input('input_ids', 'int32', ['steps', B, T])
  const targets = g.input('targets', 'int32', ['steps', B, T])
  const lr = g.input('lr', 'float32', ['steps'])
  const step = g.input('step', 'float32', [])
  const trips = g.op('Gather', [g.op('Shape', [ids]), g.const('int64', [], [0])], { axis: 0 })

  const body = g.subgraph('llama_step_body')
  const iter = body.input('iter', 'int64', [])
  const condIn = body.input('cond_in', 'bool', [])
  const [pIn, mIn, vIn] = ['params_in', 'm_in', 'v_in'].map((n) => body.input(n, 'float32', [N]))
  const stepIn = body.input('step_in', 'float32', [])
  const pick = (x: string): string => body.op('Gather', [x, iter], { axis: 0 })
  const { t, loss, grad } = lossAndGrad(body, spec, pIn, pick(ids), pick(targets), false)
  const norm = gradNorm(t, grad)
  adamw(t, spec.adamw, { params: pIn, grad, m: mIn, v: vIn, lr: pick(lr), step: stepIn, norm, decayMask: decayMask(t, layout) },
    { params: 'params_next', m: 'm_next', v: 'v_next' })
  body.op('Identity', [condIn], {}, { name: 'cond_out' })
  body.op('Add', [stepIn, t.scalar(1)], {}, { name: 'step_next' })
  body.op('Identity', [loss], {}, { name: 'loss_i' })
  body.op('Identity', [norm], {}, { name: 'grad_norm_i' })
  body.output('cond_out', 'bool', [])
  for (const n of ['params_next', 'm_next', 'v_next']) body.output(n, 'float32', [N])
  body.output('step_next', 'float32', [])
  body.output('loss_i', 'float32', [])
  body.output('grad_norm_i', 'float32', [])

  g.opN('Loop', [trips, '', params, m, v, step], ['params_out', 'm_out', 'v_out', 'step_out', 'loss', 'grad_norm'], { body: graphAttr(body) })
  for (const n of ['params_out', 'm_out', 'v_out']) g.output(n, 'float32', [N])
  g.output('loss', 'float32', ['steps'])
  g.output('grad_norm', 'float32', ['steps'])
  return g
}
