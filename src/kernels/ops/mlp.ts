/**
 * The SiLU-gated unit of the Llama MLP: a = silu(gate) · up, with silu(z) = z · σ(z)
 * (the projections around it are `linear`). Elementwise on [M, H].
 *
 *   forward   s = σ(gate), sg = gate · s (kept), a = sg · up
 *   backward  dup   = da · sg
 *             dgate = da · up · (s + sg · (1 − s))              since silu'(z) = σ(z) + z σ(z)(1 − σ(z))
 */
import type { Tape, Value } from '../autodiff/tape.js'

export function siluGate(t: Tape, gate: Value, up: Value): Value {
  const g = t.g
  const s = g.op('Sigmoid', [gate.name])
  const sg = g.op('Mul', [gate.name, s])
  const a = g.op('Mul', [sg, up.name])
  return t.record('siluGate', [gate, up], [{ name: a, shape: gate.shape }], ([da], [needGate, needUp]) => {
    if (!da) return [undefined, undefined]
    const dup = needUp ? g.op('Mul', [da, sg]) : undefined
    let dgate: string | undefined
    if (needGate) {
      const slope = g.op('Add', [s, g.op('Mul', [sg, g.op('Sub', [t.scalar(1), s])])])
      dgate = g.op('Mul', [g.op('Mul', [da, up.name]), slope])
    }
    return [dgate, dup]
  })[0]
}
