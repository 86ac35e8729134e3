/**
 * The op tape for reverse-mode differentiation over ONNX graphs we build ourselves.
 *
 * Every op family (src/kernels/ops/*) emits its forward nodes into `tape.g` and records one entry:
 * the float tensors it read, the ones it produced, and a backward rule that — when the reverse pass
 * reaches it — emits the nodes computing its inputs' gradients from its outputs' gradients. The rule
 * closes over whatever the forward kept for it (RMSNorm's rstd, softmax probabilities), as llm.c's
 * `*_forward` keeps what `*_backward` needs. Shapes are static (batch and sequence are fixed when a
 * training session is created), so rules can emit Reshape constants directly.
 *
 * Only values that depend on a watched leaf (a parameter) are recorded; integer inputs (token ids,
 * targets) and constants (RoPE tables, masks) never need a gradient and are passed as plain names.
 */
import { LlmError } from '../../core/errors.js'
import type { Graph } from '../onnx/graph.js'

/** A float32 value in the graph and its static shape. */
export interface Value {
  readonly name: string
  readonly shape: readonly number[]
}

/**
 * Emits the gradient of each input. `gradOut[i]` is the gradient of output i (undefined when no
 * gradient reaches it); `needs[i]` says whether input i wants one. Returning undefined for an
 * input that needs a gradient means "zero" and is allowed only when nothing reaches it.
 */
export type BackwardRule = (gradOut: (string | undefined)[], needs: boolean[]) => (string | undefined)[]

export interface TapeEntry {
  readonly op: string
  readonly inputs: readonly Value[]
  readonly outputs: readonly Value[]
  readonly backward: BackwardRule
}

export class Tape {
  readonly entries: TapeEntry[] = []
  private readonly tracked = new Set<string>()

  constructor(readonly g: Graph) {}

  /** Mark a leaf (a parameter) as needing a gradient. */
  watch(v: Value): Value {
    this.tracked.add(v.name)
    return v
  }

  requiresGrad(v: Value): boolean {
    return this.tracked.has(v.name)
  }

  /**
   * Record an op's outputs and its backward rule. The entry is kept only when some input depends
   * on a watched leaf (forward-only graphs therefore record nothing).
   */
  record(op: string, inputs: Value[], outputs: Value[], backward: BackwardRule): Value[] {
    if (inputs.some((v) => this.tracked.has(v.name))) {
      for (const o of outputs) this.tracked.add(o.name)
      this.entries.push({ op, inputs, outputs, backward })
    }
    return outputs
  }

  // Small emit helpers shared by the op families.

  /** float32 scalar constant */
  scalar(x: number): string {
    return this.g.const('float32', [], [x])
  }

  /** int64 vector constant (shapes, axes, indices) */
  ints(xs: readonly number[]): string {
    return this.g.const('int64', [xs.length], xs as number[])
  }

  /** Reshape to a static shape (ORT aliases the buffer: no copy). */
  reshape(name: string, shape: readonly number[]): string {
    return this.g.op('Reshape', [name, this.ints(shape)])
  }

  /** A float32 tensor of zeros (for parameters that no path reaches). */
  zeros(shape: readonly number[]): string {
    return this.g.op('ConstantOfShape', [this.ints(shape)], { value: { kind: 'tensor', dtype: 'float32', dims: [1], data: new Float32Array([0]) } })
  }
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** Assert two static shapes are equal (op families check what they are given). */
export function expectShape(what: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new LlmError(`${what}: expected shape [${want.join(',')}], got [${got.join(',')}]`)
  }
}
