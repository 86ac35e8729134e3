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
 */
import { gradients } from '../autodiff/backward.js'
import { Tape } from '../autodiff/tape.js'
import { Graph } from '../onnx/graph.js'
import { adamw, gradNorm, type AdamWConfig } from './adamw.js'
import { concatGrads, decayMask, splitParams, type FlatLayout } from './flat.js'
import { llamaLoss, type LlamaConfig } from './llama.js'

export type TrainGraphKind = 'step' | 'grad' | 'apply' | 'eval'

export interface TrainGraphSpec {
  kind: TrainGraphKind
  config: LlamaConfig
  adamw: AdamWConfig
  layout: FlatLayout
  batchSize: number
  seqLen: number
}

export function buildTrainGraph(spec: TrainGraphSpec): Graph {
  const { kind, config, layout, batchSize: B, seqLen: T } = spec
  const N = layout.total
  const g = new Graph({ name: `llama_${kind}`, opset: 17, msOpset: 1 })
  const t = new Tape(g)
  const params = g.input('params', 'float32', [N])
  const ids = g.input('input_ids', 'int32', [B, T])
  const targets = g.input('targets', 'int32', [B, T])
  const flat64 = (x: string): string => t.reshape(g.op('Cast', [x], { to: 7 }), [B * T])

  const leaves = splitParams(t, layout, params)
  const loss = llamaLoss(t, config, leaves, flat64(ids), flat64(targets), B, T)
  g.op('Identity', [loss.name], {}, { name: 'loss' })
  g.output('loss', 'float32', [])
  if (kind === 'eval') return g

  const byValue = gradients(t, loss, [...leaves.values()])
  const grads = new Map([...leaves].map(([name, leaf]) => [name, byValue.get(leaf.name)!]))
  let grad = concatGrads(t, layout, grads)
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
