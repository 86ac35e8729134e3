/** The Generator interface shared by the in-process and the worker-thread implementations. */
import type { ChatMessage } from '../model/chat-template.js'
import type { Prompt } from '../model/load.js'
import type { GenerateOptions, GenerationResult } from './generator.js'

export interface ModelInfo {
  dir: string
  layout: 'optimum' | 'genai'
  modelType?: string
  onnxFile: string
  /** the execution provider actually used */
  device: string
  /** logits width */
  vocabSize: number
  /** positions the model can attend to (prompt + generated), when the config says */
  contextLength?: number
  eosTokenIds: number[]
  hasChatTemplate: boolean
  loadMs: number
}

export interface Generator {
  readonly info: ModelInfo
  /** the ids a prompt becomes (chat template, BOS, …) */
  encode(prompt: Prompt): Promise<number[]>
  /** the conversation as text, rendered by the model's chat template */
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt?: boolean): Promise<string>
  decode(ids: readonly number[]): Promise<string>
  /** generate; `opts.onText` streams the text; `opts.signal` stops it between tokens */
  generate(prompt: Prompt, opts?: GenerateOptions): Promise<GenerationResult>
  /** free the session (and end the worker) */
  close(): Promise<void>
}
