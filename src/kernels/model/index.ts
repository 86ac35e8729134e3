/**
 * The model layer: one description of each decoder family (config → parameter specs → forward),
 * emitted as the inference graph (infer.ts) and as the training forward (train.ts).
 */
export { FAMILIES, readModelConfig, newLlamaConfigJson, architectureOf, ConfigFields } from './config.js'
export type { ModelConfig, Family, Activation, NewLlama } from './config.js'
export { paramSpecs, initParams, checkShapes, layerWeights, EMBED, FINAL_NORM, LM_HEAD } from './params.js'
export type { ParamSpec } from './params.js'
export { decoderForward } from './forward.js'
export type { Ops, ForwardResult } from './forward.js'
export { emitDecoder, pastName, presentName, HIDDEN_OUTPUT } from './infer.js'
export type { WeightSource, InferOptions } from './infer.js'
export { modelLoss } from './train.js'
export type { LoraModule, TrainForward } from './train.js'
export { defaultInvFreq, ropeTables, rotateHalf } from './rope.js'
export type { Rope } from './rope.js'
