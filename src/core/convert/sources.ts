/** The formats `llm convert --from` reads. A module of its own: the command imports it at load. */
export const CONVERT_SOURCES = ['llama2c', 'hf'] as const
export type ConvertSource = (typeof CONVERT_SOURCES)[number]
