/**
 * Text generation: the public API (the `llm generate` command and the chat UI use only this).
 *
 *   const gen = await openGenerator(modelSpec, { device: 'cpu', worker: true })
 *   gen.info                      // ModelInfo: dir, layout, vocabSize, contextLength, eosTokenIds, hasChatTemplate, …
 *   const r = await gen.generate({ messages: [{ role: 'user', content: 'Hi' }] }, {
 *     maxTokens: 128, sampling: { temperature: 0.7, seed: 1 }, stop: ['\nUser:'],
 *     onText: (piece) => process.stdout.write(piece),   // streamed, never half a UTF-8 char
 *     signal: abortController.signal,                   // stops between tokens
 *   })
 *   r.text, r.ids, r.finish_reason ('eos' | 'stop' | 'length' | 'abort'), r.timings
 *   await gen.close()
 *
 * A prompt is a raw string (the tokenizer's BOS is added), `{ messages }` (the model's chat
 * template) or `{ ids }`. `worker: true` runs the model in a worker thread (WorkerGenerator)
 * so the caller's event loop stays responsive; `worker: false` (default) runs in-process
 * (LocalGenerator). Both implement `Generator` identically.
 * Sampling: see sampling.ts (llama.cpp's chain and semantics); unset parameters come from the
 * model's generation_config.json, else llama.cpp's defaults.
 */
import type { LoadModelOptions } from '../model/load.js'
import { LocalGenerator } from './local.js'
import type { Generator } from './types.js'
import { WorkerGenerator } from './worker-client.js'

export type { Generator, ModelInfo } from './types.js'
export type { GenerateOptions, GenerationResult, GenerationTimings, FinishReason } from './generator.js'
export { DEFAULT_MAX_TOKENS, resolveSampling, fitPrompt, generateWithModel } from './generator.js'
export { LocalGenerator } from './local.js'
export { WorkerGenerator } from './worker-client.js'
export { greedyBatch, type BatchGreedyOptions } from './batch.js'
export { Detokenizer } from './detokenize.js'
export { StopMatcher } from './stop.js'
export * from './sampling.js'
export { Rng, randomSeed } from '../rng.js'
export type { Prompt } from '../model/load.js'
export type { ChatMessage } from '../model/chat-template.js'

export interface OpenGeneratorOptions extends Omit<LoadModelOptions, 'env'> {
  /** run the model in a worker thread (keeps the caller's event loop live) */
  worker?: boolean
}

/** Load a model (folder path, store name, or undefined for LLM_MODEL / the bundled default). */
export async function openGenerator(spec: string | undefined, opts: OpenGeneratorOptions = {}): Promise<Generator> {
  const { worker, ...rest } = opts
  return worker ? WorkerGenerator.open(spec, rest) : LocalGenerator.open(spec, rest)
}
