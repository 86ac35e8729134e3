/**
 * The training engine as the trainer sees it (/work/helpers/train-contract.md): the surface of
 * `src/kernels/train/index.ts`. The loop depends on this interface only, so its data, schedule
 * and checkpoint logic can be tested without building a graph.
 */
import { TrainSession, initLlamaParams, llamaParamSpecs } from '../../kernels/train/index.js'
import type { AdamWConfig, LlamaConfig } from '../../kernels/train/index.js'

export type { AdamWConfig, LlamaConfig }

export interface OptimizerState { m: Map<string, Float32Array>; v: Map<string, Float32Array>; step: number }

export interface TrainSessionLike {
  setState(params: Map<string, Float32Array>, opt?: OptimizerState): void
  getState(): { params: Map<string, Float32Array> } & OptimizerState
  step(inputIds: Int32Array, targets: Int32Array, lr: number, opts?: { accumulate?: boolean }): Promise<{ loss: number; gradNorm: number }>
  evalLoss(inputIds: Int32Array, targets: Int32Array): Promise<number>
  release(): Promise<void>
}

export interface Engine {
  llamaParamSpecs(cfg: LlamaConfig): { name: string; shape: number[] }[]
  initLlamaParams(cfg: LlamaConfig, seed: number): Map<string, Float32Array>
  createSession(opts: { config: LlamaConfig; adamw: AdamWConfig; batchSize: number; seqLen: number; device?: string; threads?: number }): Promise<TrainSessionLike>
}

/** The ONNX-graph engine of src/kernels/train. */
export function onnxEngine(): Engine {
  return {
    llamaParamSpecs,
    initLlamaParams,
    createSession: (opts) => TrainSession.create(opts),
  }
}
