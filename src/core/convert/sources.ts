/** The formats `llm convert --from` reads. A module of its own: the command imports it at load. */
export const CONVERT_SOURCES = ['llama2c', 'hf'] as const
export type ConvertSource = (typeof CONVERT_SOURCES)[number]
/** `llm convert --to` targets, and the GGUF weight types (core/convert/gguf.ts) */
export const CONVERT_TARGETS = ['hf', 'gguf'] as const
export const GGUF_OUTTYPES = ['f32', 'f16', 'q8_0', 'q4_0'] as const
