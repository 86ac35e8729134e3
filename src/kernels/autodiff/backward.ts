/**
 * Reverse-mode differentiation over a recorded tape: walks the entries last to first, hands each
 * rule the summed gradients of its outputs and collects the gradients it returns for its inputs.
 *
 * Fan-out (a value read by several ops: the residual stream, a tied embedding read by the token
 * lookup and by lm_head) is handled by accumulation: every contribution is kept, and the
 * contributions are summed (one ONNX `Sum` node) the first time the total is needed — so a
 * gradient is only materialised once all of its consumers have been processed, which the
 * reverse topological order guarantees.
 */
import { LlmError } from '../../core/errors.js'
import type { Tape, Value } from './tape.js'

export interface GradientOptions {
  /** gradient of the output (defaults to the scalar 1: `output` must be a scalar loss) */
  seed?: string
}

/**
 * Emit the gradient of `output` with respect to each of `wrt` (watched leaves).
 * Returns leaf name → gradient value name; a leaf no path reaches gets explicit zeros.
 */
export function gradients(tape: Tape, output: Value, wrt: readonly Value[], opts: GradientOptions = {}): Map<string, string> {
  if (!opts.seed && output.shape.length !== 0) {
    throw new LlmError(`gradients: output '${output.name}' has shape [${output.shape.join(',')}]; give a seed gradient for non-scalar outputs`)
  }
  const parts = new Map<string, string[]>()
  const add = (name: string, grad: string): void => {
    const list = parts.get(name)
    if (list) list.push(grad)
    else parts.set(name, [grad])
  }
  const total = (name: string): string | undefined => {
    const list = parts.get(name)
    if (!list || list.length === 0) return undefined
    if (list.length > 1) {
      const summed = tape.g.op('Sum', list)
      parts.set(name, [summed])
      return summed
    }
    return list[0]
  }

  add(output.name, opts.seed ?? tape.scalar(1))
  for (let e = tape.entries.length - 1; e >= 0; e--) {
    const entry = tape.entries[e]
    const gradOut = entry.outputs.map((o) => total(o.name))
    if (gradOut.every((g) => g === undefined)) continue
    const needs = entry.inputs.map((v) => tape.requiresGrad(v))
    const gradIn = entry.backward(gradOut, needs)
    if (gradIn.length !== entry.inputs.length) {
      throw new LlmError(`backward rule of '${entry.op}' returned ${gradIn.length} gradients for ${entry.inputs.length} inputs`)
    }
    entry.inputs.forEach((v, i) => {
      const g = gradIn[i]
      if (needs[i] && g !== undefined) add(v.name, g)
    })
  }

  const out = new Map<string, string>()
  for (const leaf of wrt) {
    if (!tape.requiresGrad(leaf)) throw new LlmError(`gradients: '${leaf.name}' is not a watched leaf`)
    out.set(leaf.name, total(leaf.name) ?? tape.zeros(leaf.shape))
  }
  return out
}
