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

/**
 * The GELU-gated unit of Gemma's MLP: a = gelu_tanh(gate) · up (PyTorch gelu(approximate='tanh')).
 *
 *   forward   u = k·(z + c·z³), th = tanh(u), gz = 0.5·z·(1 + th) (kept), a = gz · up
 *             k = √(2/π), c = 0.044715
 *   backward  dup   = da · gz
 *             dgate = da · up · (0.5·(1 + th) + 0.5·z·(1 − th²)·k·(1 + 3c·z²))
 */
export function geluTanhGate(t: Tape, gate: Value, up: Value): Value {
  const g = t.g
  const k = Math.sqrt(2 / Math.PI), c = 0.044715
  const z = gate.name
  const z2 = g.op('Mul', [z, z])
  const u = g.op('Mul', [g.op('Add', [z, g.op('Mul', [g.op('Mul', [z2, z]), t.scalar(c)])]), t.scalar(k)])
  const th = g.op('Tanh', [u])
  const onePlus = g.op('Add', [th, t.scalar(1)])
  const gz = g.op('Mul', [g.op('Mul', [z, t.scalar(0.5)]), onePlus])
  const a = g.op('Mul', [gz, up.name])
  return t.record('geluTanhGate', [gate, up], [{ name: a, shape: gate.shape }], ([da], [needGate, needUp]) => {
    if (!da) return [undefined, undefined]
    const dup = needUp ? g.op('Mul', [da, gz]) : undefined
    let dgate: string | undefined
    if (needGate) {
      const sech2 = g.op('Sub', [t.scalar(1), g.op('Mul', [th, th])])
      const du = g.op('Mul', [g.op('Add', [t.scalar(1), g.op('Mul', [z2, t.scalar(3 * c)])]), t.scalar(k)])
      const slope = g.op('Add', [g.op('Mul', [onePlus, t.scalar(0.5)]), g.op('Mul', [g.op('Mul', [g.op('Mul', [z, t.scalar(0.5)]), sech2]), du])])
      dgate = g.op('Mul', [g.op('Mul', [da, up.name]), slope])
    }
    return [dgate, dup]
  })[0]
}
