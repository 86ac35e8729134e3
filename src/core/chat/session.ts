import type { FinishReason, GenerationResult, Generator } from '../generate/index.js'
import type { SamplingParams } from '../generate/sampling.js'
import type { ChatMessage } from '../model/chat-template.js'
import { buildChatPrompt } from './prompt.js'
import { loadTranscript, saveTranscript } from './transcript.js'

/** What a chat needs from a generator (src/core/generate's Generator satisfies it). */
export type ChatEngine = Pick<Generator, 'info' | 'encode' | 'generate'>

export interface ChatSettings {
  system?: string
  /** most new tokens per answer */
  maxTokens?: number
  /** `seed`, when given, is used as seed + the number of earlier user turns, so a replayed conversation is reproduced */
  sampling?: Partial<SamplingParams>
  /**
   * A prompt template (`llm chat -t`, from templateForChat): few-shot turns after the system
   * message, and each user message sent as the template's prompt around it. The history keeps
   * the text as typed.
   */
  template?: { preamble: ChatMessage[]; wrap: (text: string) => string }
  /** after each answered turn (the request log's hook): the messages the model saw, the answer and the raw result */
  onTurn?: (turn: { messages: ChatMessage[]; answer: string; result: GenerationResult; startedAt: Date; durationMs: number }) => void
}

export interface TurnResult {
  text: string
  finishReason: FinishReason
  /** new tokens */
  tokens: number
  tokensPerSecond: number
  /** positions used after this answer (prompt + answer) */
  contextUsed: number
  contextMax?: number
  /** earlier messages left out of the prompt so it fits the context */
  dropped: number
}

/**
 * A conversation with one model: the history, the system prompt, and how each turn is fitted
 * into the context window (oldest user/assistant pairs are left out of the prompt first; the
 * system prompt always stays). Pure bookkeeping around `engine.generate`: no terminal I/O.
 */
export class ChatSession {
  private history: ChatMessage[] = []
  system: string | undefined

  constructor(readonly engine: ChatEngine, readonly settings: ChatSettings = {}) {
    this.system = settings.system || undefined
  }

  /** the conversation, system prompt first */
  get messages(): ChatMessage[] {
    return [...(this.system ? [{ role: 'system', content: this.system }] : []), ...this.history]
  }

  get turns(): number {
    return this.history.filter((m) => m.role === 'user').length
  }

  clear(): void {
    this.history = []
  }

  setSystem(text: string): void {
    this.system = text || undefined
  }

  save(file: string): void {
    saveTranscript(file, this.messages)
  }

  /** Replace the conversation with a file's (its system message, if any, becomes the system prompt). */
  load(file: string): void {
    const msgs = loadTranscript(file)
    const sys = msgs.filter((m) => m.role === 'system')
    this.system = sys.length ? sys.map((m) => m.content).join('\n\n') : this.system
    this.history = msgs.filter((m) => m.role !== 'system')
  }

  /**
   * Answer `text`. `onText` receives the answer as it streams; `signal` stops it (the partial
   * answer is kept in the history). On error the history is left as it was.
   */
  async send(text: string, opts: { onText?: (t: string) => void; signal?: { readonly aborted: boolean } } = {}): Promise<TurnResult> {
    const user: ChatMessage = { role: 'user', content: text }
    const { messages, dropped } = await this.fit([...this.history, user])
    const shown = this.present(messages)
    const p = buildChatPrompt(shown, this.engine.info.hasChatTemplate)
    let leading = p.transcript // drop the space after "Assistant:" from what is shown
    const onText = (t: string) => {
      if (leading) {
        t = t.replace(/^\s+/, '')
        if (!t) return
        leading = false
      }
      opts.onText?.(t)
    }
    const sampling = { ...this.settings.sampling }
    if (sampling.seed !== undefined) sampling.seed = (sampling.seed + this.turns) >>> 0
    const startedAt = new Date()
    const r = await this.engine.generate(p.prompt, { maxTokens: this.settings.maxTokens, sampling, stop: p.stop, onOverflow: 'truncate', onText, signal: opts.signal })
    const answer = p.transcript ? r.text.trim() : r.text
    this.settings.onTurn?.({ messages: shown, answer, result: r, startedAt, durationMs: Date.now() - startedAt.getTime() })
    this.history.push(user)
    if (r.finish_reason !== 'abort' || answer) this.history.push({ role: 'assistant', content: answer })
    return {
      text: answer,
      finishReason: r.finish_reason,
      tokens: r.ids.length,
      tokensPerSecond: r.timings.decode_tokens_per_second,
      contextUsed: r.prompt_ids.length + r.ids.length,
      contextMax: this.engine.info.contextLength,
      dropped,
    }
  }

  /** what the model sees of `messages`: with a template, its few-shot turns and each user message through its prompt */
  private present(messages: readonly ChatMessage[]): ChatMessage[] {
    const t = this.settings.template
    if (!t) return [...messages]
    const sys = messages.filter((m) => m.role === 'system')
    const rest = messages.filter((m) => m.role !== 'system').map((m) => (m.role === 'user' ? { ...m, content: t.wrap(m.content) } : m))
    return [...sys, ...t.preamble, ...rest]
  }

  /**
   * Leave out the oldest messages until the prompt plus room for the answer fits the context
   * (room: the max new tokens, at most half the context). The newest user message always stays;
   * when it alone is too long, the generator keeps the end of it (onOverflow: 'truncate').
   */
  private async fit(history: ChatMessage[]): Promise<{ messages: ChatMessage[]; dropped: number }> {
    const ctx = this.engine.info.contextLength
    const sys: ChatMessage[] = this.system ? [{ role: 'system', content: this.system }] : []
    if (ctx === undefined) return { messages: [...sys, ...history], dropped: 0 }
    const room = Math.max(1, Math.min(this.settings.maxTokens ?? 256, Math.floor(ctx / 2)))
    let start = 0
    for (;;) {
      const messages = [...sys, ...history.slice(start)]
      if (start >= history.length - 1) return { messages, dropped: start }
      const ids = await this.engine.encode(buildChatPrompt(this.present(messages), this.engine.info.hasChatTemplate).prompt)
      if (ids.length + room <= ctx) return { messages, dropped: start }
      // drop one exchange: the oldest message and everything up to the next user message
      start++
      while (start < history.length - 1 && history[start]!.role !== 'user') start++
    }
  }
}
