/**
 * The training engine as the loop sees it: the surface of `src/kernels/train`. The loop depends
 * on this interface only, so its data, schedule and checkpoint logic can be tested without
 * building a graph.
 */
import { TrainSession, type AdamWConfig, type Batch, type TrainSessionOptions } from '../../kernels/train/index.js'

export type { AdamWConfig, Batch }

export interface OptimizerState { m: Map<string, Float32Array>; v: Map<string, Float32Array>; step: number }

export interface TrainSessionLike {
  setState(params: Map<string, Float32Array>, opt?: OptimizerState): void
  getState(): { params: Map<string, Float32Array> } & OptimizerState
  step(batch: Batch, lr: number, opts?: { accumulate?: boolean }): Promise<{ loss: number; gradNorm: number }>
  evalLoss(batch: Batch): Promise<number>
  release(): Promise<void>
}

export interface Engine {
  createSession(opts: TrainSessionOptions): Promise<TrainSessionLike>
}

/** The ONNX-graph engine of src/kernels/train. */
export function onnxEngine(): Engine {
  return { createSession: (opts) => TrainSession.create(opts) }
}
