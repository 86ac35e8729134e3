import { writeFileAtomic } from '../atomic.js'
import { fileError, LlmError } from '../errors.js'
import { readJson } from '../json.js'
import type { ChatMessage } from '../model/chat-template.js'

/**
 * The file `/save FILE` writes and `/load FILE` reads (versioned, checked on load):
 *   { "format": "llm-chat", "version": 1, "messages": [{ "role": "system"|"user"|"assistant", "content": "…" }, …] }
 * `/load` also accepts a bare array of messages (the OpenAI / transformers shape), so
 * conversations from other tools load as they are.
 */
export interface ChatFile {
  format: 'llm-chat'
  version: 1
  messages: ChatMessage[]
}

const ROLES = new Set(['system', 'user', 'assistant'])

export function saveTranscript(file: string, messages: readonly ChatMessage[]): void {
  const body: ChatFile = { format: 'llm-chat', version: 1, messages: messages.map((m) => ({ role: m.role, content: m.content })) }
  try {
    writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n')
  } catch (e) {
    throw fileError(file, e, 'cannot write file')
  }
}

export function loadTranscript(file: string): ChatMessage[] {
  return parseMessages(readJson(file, { hint: 'expected a file written by /save' }), file)
}

export function parseMessages(raw: unknown, where: string): ChatMessage[] {
  let list: unknown = raw
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const f = raw as Partial<ChatFile>
    if (f.format !== 'llm-chat') throw new LlmError('not an llm chat file (no "format": "llm-chat")', { where, hint: 'expected a file written by /save, or a JSON array of {role, content}' })
    if (f.version !== 1) throw new LlmError(`unsupported chat file version ${String(f.version)}`, { where, hint: 'this llm reads version 1' })
    list = f.messages
  }
  if (!Array.isArray(list)) throw new LlmError('expected a list of messages', { where })
  return list.map((m, i) => {
    const msg = m as Partial<ChatMessage>
    if (!msg || typeof msg.content !== 'string' || typeof msg.role !== 'string' || !ROLES.has(msg.role)) {
      throw new LlmError(`message ${i} is not {role: system|user|assistant, content: string}`, { where })
    }
    return { role: msg.role, content: msg.content }
  })
}
