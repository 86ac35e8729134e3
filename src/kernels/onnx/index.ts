export * from './graph.js'
export { readModel } from './read.js'
export type { ModelInfo, TensorInfo, NodeInfo, ValueInfo } from './read.js'
