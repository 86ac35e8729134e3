import type { ChatSession } from './session.js'

/**
 * Plain mode (stdin or stdout is not a terminal): every input line is one user message in the
 * same conversation, and stdout gets exactly one line per input line, nothing else.
 *   text:   the answer, streamed as it is generated, on one line: a newline inside the answer is
 *           written as the two characters `\n`, a carriage return as `\r`, a backslash as `\\`
 *           (undo with `printf '%b'` or unescapeLine). A blank input line gets a blank line.
 *   --json: one JSON object per line (JSON Lines): {prompt, answer, finish_reason, tokens,
 *           tokens_per_second, context_used, context_max, dropped}; blank input lines give
 *           {prompt: "", answer: "", finish_reason: null, tokens: 0, …}.
 * Lines are read as they arrive, so a program can hold a conversation over a pipe.
 */
export interface PlainChatOptions {
  json: boolean
  write: (s: string) => void
}

export function escapeLine(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
}

export function unescapeLine(s: string): string {
  return s.replace(/\\([\\nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'))
}

export async function runPlainChat(session: ChatSession, lines: AsyncIterable<string>, opts: PlainChatOptions): Promise<number> {
  let answered = 0
  for await (const raw of lines) {
    const prompt = raw.replace(/\r$/, '')
    if (prompt.trim() === '') {
      opts.write(opts.json ? JSON.stringify({ prompt, answer: '', finish_reason: null, tokens: 0, tokens_per_second: 0, context_used: 0, context_max: session.engine.info.contextLength ?? null, dropped: 0 }) + '\n' : '\n')
      continue
    }
    let started = false
    try {
      const r = await session.send(prompt, opts.json ? {} : { onText: (t) => { started = true; opts.write(escapeLine(t)) } })
      if (opts.json) {
        opts.write(JSON.stringify({ prompt, answer: r.text, finish_reason: r.finishReason, tokens: r.tokens, tokens_per_second: round(r.tokensPerSecond), context_used: r.contextUsed, context_max: r.contextMax ?? null, dropped: r.dropped }) + '\n')
      } else opts.write('\n')
    } catch (e) {
      if (started) opts.write('\n') // end the half line before the error goes to stderr
      throw e
    }
    answered++
  }
  return answered
}

const round = (x: number) => Math.round(x * 10) / 10
