/**
 * Chat templates: the Jinja template a model ships in tokenizer_config.json (`chat_template`),
 * rendered with @huggingface/jinja exactly as transformers' `apply_chat_template` renders it:
 * variables `messages`, `bos_token`, `eos_token`, `add_generation_prompt` (and
 * `raise_exception`, which the library provides).
 */
import { Template } from '@huggingface/jinja'
import { LlmError } from '../errors.js'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {})
  content: string
}

export interface ChatTemplateOptions {
  bosToken?: string
  eosToken?: string
  /** end with the assistant's turn header so the model answers (default true) */
  addGenerationPrompt?: boolean
  /** named in errors */
  source?: string
}

const parsed = new Map<string, Template>()

export function renderChatTemplate(template: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  const where = opts.source ?? 'chat_template'
  let t = parsed.get(template)
  if (!t) {
    try {
      t = new Template(template)
    } catch (err) {
      throw new LlmError(`cannot parse the chat template: ${(err as Error).message}`, { where })
    }
    parsed.set(template, t)
  }
  try {
    return t.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
      add_generation_prompt: opts.addGenerationPrompt ?? true,
    })
  } catch (err) {
    throw new LlmError(`the chat template failed: ${(err as Error).message.split('\n')[0]}`, { where, hint: 'check the roles and order of the messages' })
  }
}
