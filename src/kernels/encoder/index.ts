export { bertConfigFromHf, bertWeightShapes, emitBertEncoder } from './bert.js'
export type { BertConfig } from './bert.js'
export { exportBertOnnx } from './export.js'
export type { BertExportResult } from './export.js'
