/**
 * What a training run is, to the one loop that runs both `llm pretrain` and `llm finetune`: the
 * model and which of its tensors are trained, where batches come from, and what the output folder
 * holds. Each command builds a TrainJob (pretrain.ts, finetune/job.ts); everything else — steps,
 * accumulation, schedule, validation, checkpoints, resume, metrics, progress — is shared.
 */
import type { Batch } from '../../kernels/train/index.js'
import type { ModelConfig, ParamSpec, LoraModule } from '../../kernels/model/index.js'
import type { OptimizerState } from './engine.js'
import type { TrainOptions } from './options.js'

export type { Batch }

/** A stateful source of training batches; `state` is JSON a checkpoint stores to resume exactly. */
export interface BatchSource {
  next(): Batch
  readonly state: unknown
}

export interface TrainJob {
  kind: 'pretrain' | 'finetune'
  options: TrainOptions
  config: ModelConfig
  /** the trained tensors, in order, and their starting values */
  trainable: ParamSpec[]
  params: Map<string, Float32Array>
  /** tensors read but not trained (a LoRA base) */
  frozen?: Map<string, Float32Array>
  lora?: Map<string, LoraModule>
  /** batches hold several samples per row (positions/segments given) */
  packed: boolean
  /** restored on --resume */
  optimizer?: OptimizerState
  startStep: number
  wallSeconds: number
  metricsLines: string[]
  train: BatchSource
  /** the same validation batches every time; empty when nothing is held out */
  validation: Batch[]
  /** why there is no validation, when there is none although some was asked for */
  validationNote?: string
  /** sha256 of the training data as tokens: resuming on other data is refused */
  dataHash: string
  /** lines for the user before the first step */
  notes: string[]
  /** extra state a resumed run needs (JSON), stored in state.json */
  extra?: Record<string, unknown>
  /**
   * Write the output folder's files for the current trained tensors (everything outside
   * checkpoint/): the Hugging Face folder, or the PEFT adapter. `checkpointWeights` is the file
   * those tensors were just saved to (pretrain links to it instead of writing a second copy).
   */
  writeOutputs(dir: string, params: Map<string, Float32Array>, checkpointWeights: string): void
  /** a short greedy continuation from the current weights (--sample-every), or undefined */
  sample?(params: Map<string, Float32Array>, tokens: number): Promise<string>
}
