export { Tape, numel, expectShape } from './tape.js'
export type { Value, BackwardRule, TapeEntry } from './tape.js'
export { gradients } from './backward.js'
export type { GradientOptions } from './backward.js'
