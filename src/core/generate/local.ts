/**
 * The in-process Generator: a Model and generateWithModel behind the Generator interface.
 * Its runs block this thread while onnxruntime computes (session.run is synchronous native
 * code): fine for `llm generate`; an interactive UI uses the worker twin (worker-client.ts).
 */
import type { ChatMessage } from '../model/chat-template.js'
import { Model, type LoadModelOptions, type Prompt } from '../model/load.js'
import { generateWithModel, type GenerateOptions, type GenerationResult } from './generator.js'
import type { Generator, ModelInfo } from './types.js'

function modelInfo(model: Model): ModelInfo {
  const f = model.folder
  return {
    dir: f.dir,
    layout: f.layout,
    modelType: f.modelType,
    onnxFile: f.onnxFile,
    device: model.decoder.session.device,
    vocabSize: model.vocabSize,
    contextLength: f.contextLength,
    eosTokenIds: [...model.eosTokenIds],
    hasChatTemplate: model.hasChatTemplate,
    loadMs: model.loadMs,
  }
}

export class LocalGenerator implements Generator {
  readonly info: ModelInfo
  private constructor(readonly model: Model) {
    this.info = modelInfo(model)
  }

  static async open(spec: string | undefined, opts: LoadModelOptions = {}): Promise<LocalGenerator> {
    return new LocalGenerator(await Model.load(spec, opts))
  }

  async encode(prompt: Prompt): Promise<number[]> {
    return this.model.encodePrompt(prompt)
  }

  async applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt = true): Promise<string> {
    return this.model.applyChatTemplate(messages, addGenerationPrompt)
  }

  async decode(ids: readonly number[]): Promise<string> {
    return this.model.tokenizer.decode(ids, { skipSpecialTokens: true })
  }

  generate(prompt: Prompt, opts: GenerateOptions = {}): Promise<GenerationResult> {
    return generateWithModel(this.model, prompt, opts)
  }

  async close(): Promise<void> {
    await this.model.release()
  }
}
