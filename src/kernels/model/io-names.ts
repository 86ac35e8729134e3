/** Input/output names of the inference graphs we emit (Optimum / transformers.js layout). A module of its own: the runtime reads them without loading the graph builder. */
export const pastName = (i: number, kind: 'key' | 'value') => `past_key_values.${i}.${kind}`
export const presentName = (i: number, kind: 'key' | 'value') => `present.${i}.${kind}`
/** the final-norm output [batch_size, sequence_length, hidden_size], for embeddings */
export const HIDDEN_OUTPUT = 'last_hidden_state'
