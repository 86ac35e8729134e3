/** The training engine: a whole training step of any model family as one ONNX graph. */
export { TrainSession } from './session.js'
export type { TrainSessionOptions, TrainState, StepOptions, StepResult, Batch } from './session.js'
export type { AdamWConfig } from './adamw.js'
export { buildTrainGraph, batchInputs } from './step-graph.js'
export type { TrainGraphKind, TrainGraphSpec } from './step-graph.js'
export { flatLayout, packTensors, unpackTensors } from './flat.js'
export type { FlatLayout } from './flat.js'
