export { bertConfigFromHf, bertWeightShapes, emitBertEncoder } from './bert.js'
export type { BertConfig } from './bert.js'
