import type { ChatMessage } from '../model/chat-template.js'
import type { Prompt } from '../model/load.js'

/**
 * How a conversation becomes a prompt.
 * - A model with a chat template gets `{ messages }` (rendered by its template, as transformers'
 *   apply_chat_template with add_generation_prompt=True).
 * - A model without one (a base model such as stories260K) gets a plain transcript it can
 *   continue, and generation stops where it would start the user's next line:
 *
 *     SYSTEM TEXT            (when there is a system prompt, then a blank line)
 *     User: first message
 *     Assistant: first answer
 *     User: new message
 *     Assistant:
 */
export interface ChatPrompt {
  prompt: Prompt
  stop: string[]
  /** a transcript prompt: the answer's leading spaces are not part of it */
  transcript: boolean
}

export const TRANSCRIPT_STOP = ['\nUser:']

export function buildChatPrompt(messages: readonly ChatMessage[], hasTemplate: boolean): ChatPrompt {
  if (hasTemplate) return { prompt: { messages: [...messages] }, stop: [], transcript: false }
  let text = ''
  for (const m of messages) {
    if (m.role === 'system') text += `${m.content}\n\n`
    else text += `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}\n`
  }
  return { prompt: text + 'Assistant:', stop: TRANSCRIPT_STOP, transcript: true }
}
