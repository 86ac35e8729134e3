/**
 * Model folders: resolution (`-m DIR|NAME`, LLM_MODEL, the bundled default), reading the Hugging
 * Face files (config.json, generation_config.json, tokenizer_config.json, genai_config.json) and
 * loading one into a `Model` (tokenizer + ONNX decoder + EOS ids + chat template).
 *
 *   const model = await Model.load('-m value or undefined', { device: 'cpu' })
 *   model.encodePrompt('Once upon')                       // ids with BOS
 *   model.encodePrompt({ messages: [{ role: 'user', content: 'Hi' }] })
 *   model.decoder.forward({ ids, batch: 1, cache: model.decoder.emptyCache(1) })
 *
 * For generating text use src/core/generate (openGenerator), which wraps a Model.
 */
export { Model, type Prompt, type LoadModelOptions } from './load.js'
export { readModelFolder, OPTIMUM_CANDIDATES, type ModelFolder, type GenerationDefaults } from './folder.js'
export { resolveModel, defaultModelDir, type ResolvedModel } from './resolve.js'
export { renderChatTemplate, encodeChat, type ChatMessage, type ChatTemplateOptions, type EncodeChatOptions, type EncodedChat, type ChatSegment } from './chat-template.js'
