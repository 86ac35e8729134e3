/**
 * A loaded model: folder metadata + tokenizer + ONNX decoder session, with the decisions that
 * need all three (EOS ids, vocabulary check, how a prompt becomes ids).
 */
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import { Decoder } from '../runtime/decoder.js'
import type { SessionOptions } from '../runtime/ort.js'
import { loadTokenizer } from '../../tokenizer/load.js'
import type { Tokenizer } from '../../tokenizer/types.js'
import { readModelFolder, type ModelDtype, type ModelFolder } from './folder.js'
import { encodeChat, renderChatTemplate, type ChatMessage, type EncodedChat } from './chat-template.js'
import { resolveModel } from './resolve.js'
import { Checkpoint, hasWeights } from './checkpoint.js'
import { graphBytes } from '../convert/onnx.js'
import { mergedWeights } from './lora.js'

/** A raw text prompt (gets the tokenizer's own BOS etc.), a conversation (chat template) or ids. */
export type Prompt = string | { messages: readonly ChatMessage[] } | { ids: readonly number[] }

export interface LoadModelOptions {
  device?: SessionOptions['device']
  /** a PEFT LoRA adapter folder: its deltas are folded into the model's safetensors in memory */
  adapter?: string
  threads?: number
  /** which ONNX file of the folder (transformers.js' dtype names); default: the first present */
  dtype?: ModelDtype
  onInfo?: (line: string) => void
  env?: NodeJS.ProcessEnv
}

export class Model {
  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: Tokenizer,
    readonly decoder: Decoder,
    /** ids that end generation */
    readonly eosTokenIds: readonly number[],
    /** logits width */
    readonly vocabSize: number,
    readonly loadMs: number,
  ) {}

  /** Open `spec` (a folder, a store name, or undefined for LLM_MODEL / the bundled default). */
  static async load(spec: string | undefined, opts: LoadModelOptions = {}): Promise<Model> {
    const t0 = performance.now()
    const { dir } = resolveModel(spec, opts.env)
    const folder = readModelFolder(dir, { dtype: opts.dtype })
    const tokenizer = loadTokenizer(folder.tokenizerPath)
    const sessionOpts = {
      device: opts.device, threads: opts.threads, onInfo: opts.onInfo,
      hints: folder.hints, config: { numKvHeads: folder.numKvHeads, headDim: folder.headDim }, source: folder.dir,
    }
    let decoder: Decoder
    if (opts.adapter) {
      if (!hasWeights(folder.dir)) throw usageError('--adapter needs the base model\'s safetensors, and this folder has none', { where: folder.dir, hint: 'point -m at the Hugging Face folder the adapter was trained on' })
      const ck = Checkpoint.open(folder.dir)
      decoder = await Decoder.open(graphBytes(ck.config, mergedWeights(ck, opts.adapter).weights, folder.dir), sessionOpts)
    } else if (folder.source === 'weights') {
      const t = performance.now()
      const ck = Checkpoint.open(folder.dir)
      const bytes = graphBytes(ck.config, ck, folder.dir)
      opts.onInfo?.(`no ONNX graph in ${folder.dir}: built it from the safetensors in memory (${((performance.now() - t) / 1000).toFixed(1)} s); 'llm convert ${folder.dir} --from hf --out DIR' saves it`)
      decoder = await Decoder.open(bytes, sessionOpts)
    } else decoder = await Decoder.open(folder.onnxFile, sessionOpts)
    try {
      const vocabSize = decoder.info.vocabSize ?? folder.vocabSize
      if (vocabSize === undefined) throw new LlmError('cannot tell the vocabulary size from the graph or config.json', { where: folder.onnxFile })
      checkVocab(tokenizer, vocabSize, folder)
      return new Model(folder, tokenizer, decoder, eosIds(folder, tokenizer), vocabSize, performance.now() - t0)
    } catch (err) {
      await decoder.release()
      throw err
    }
  }

  get hasChatTemplate(): boolean { return this.folder.chatTemplate !== undefined }

  /** The conversation rendered by the model's chat template, ready to tokenize. */
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
    return renderChatTemplate(this.requireTemplate(), messages, this.templateOptions(addGenerationPrompt))
  }

  /**
   * The conversation as ids through the chat template, where only the template's own markup
   * becomes special ids (user text holding `<|im_end|>` stays text); `segments: true` also says
   * which ids hold which message's content (see encodeChat in chat-template.ts).
   */
  encodeChat(messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean; segments?: boolean } = {}): EncodedChat {
    return encodeChat(messages, this.requireTemplate(), this.tokenizer, { ...this.templateOptions(opts.addGenerationPrompt ?? true), segments: opts.segments })
  }

  private requireTemplate(): string {
    if (!this.folder.chatTemplate) {
      throw usageError('this model has no chat template', { where: join(this.folder.dir, 'tokenizer_config.json'), hint: 'use a raw prompt (no --chat / --system)' })
    }
    return this.folder.chatTemplate
  }

  private templateOptions(addGenerationPrompt: boolean) {
    return {
      bosToken: this.folder.bosToken ?? tokenText(this.tokenizer, this.tokenizer.bosTokenId),
      eosToken: this.folder.eosToken ?? tokenText(this.tokenizer, this.tokenizer.eosTokenId),
      addGenerationPrompt,
      source: join(this.folder.dir, 'tokenizer_config.json'),
    }
  }

  /**
   * Prompt → ids. Raw text gets the tokenizer's own special tokens (BOS) and no control tokens
   * from the text itself. A conversation goes through encodeChat: the template's markup (its
   * BOS text included) becomes control tokens, message content never does, and nothing is
   * added (transformers' apply_chat_template adds nothing either).
   * An empty prompt starts from BOS.
   */
  encodePrompt(prompt: Prompt): number[] {
    let ids: number[]
    if (typeof prompt === 'string') ids = this.tokenizer.encode(prompt, { addSpecialTokens: true })
    else if ('messages' in prompt) ids = this.encodeChat(prompt.messages).ids
    else ids = [...prompt.ids]
    if (ids.length === 0) {
      const bos = this.folder.bosTokenId ?? this.tokenizer.bosTokenId
      if (bos === undefined) throw usageError('the prompt is empty and the model has no BOS token to start from', { where: 'PROMPT', hint: 'give some prompt text' })
      ids = [bos]
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw usageError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`, { where: 'prompt' })
    }
    return ids
  }

  async release(): Promise<void> {
    await this.decoder.release()
  }
}

function tokenText(tok: Tokenizer, id: number | undefined): string | undefined {
  return id === undefined ? undefined : tok.idToToken(id)
}

/** A tokenizer larger than the logits would ask for ids the model cannot score: refuse it. */
function checkVocab(tok: Tokenizer, logitsWidth: number, folder: ModelFolder): void {
  if (tok.vocabSize > logitsWidth) {
    throw new LlmError(`vocabulary mismatch: the tokenizer has ${tok.vocabSize} tokens but the model's logits have ${logitsWidth}`, {
      where: folder.dir,
      hint: 'the tokenizer.json does not belong to this model',
    })
  }
}

/**
 * EOS ids: generation_config.json (Optimum: else config.json), else the tokenizer's EOS — the
 * string tokenizer_config.json names, or the tokenizer's own. genai folders use the tokenizer.
 */
function eosIds(folder: ModelFolder, tok: Tokenizer): number[] {
  if (folder.eosTokenIds?.length) return folder.eosTokenIds
  const named = folder.eosToken !== undefined ? tok.tokenToId(folder.eosToken) : undefined
  if (named !== undefined) return [named]
  return tok.eosTokenId !== undefined ? [tok.eosTokenId] : []
}
