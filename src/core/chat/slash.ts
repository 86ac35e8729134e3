/**
 * Slash commands typed at the chat prompt. A line is a command only when it starts with "/"
 * followed by a letter; "//text" sends "/text" as an ordinary message.
 *   /system TEXT   set the system prompt (empty: remove it); the conversation is kept
 *   /clear         forget the conversation (the system prompt stays)
 *   /save FILE     write the conversation as JSON (atomically)
 *   /load FILE     replace the conversation with one from a file
 *   /help          list these
 *   /exit, /quit   leave
 */
export type SlashCommand =
  | { kind: 'system'; text: string }
  | { kind: 'clear' }
  | { kind: 'save'; file: string }
  | { kind: 'load'; file: string }
  | { kind: 'help' }
  | { kind: 'exit' }
  | { kind: 'error'; message: string }

export const SLASH_HELP = [
  '/system TEXT  set the system prompt (no TEXT: remove it)',
  '/clear        forget the conversation',
  '/save FILE    save the conversation as JSON',
  '/load FILE    load a conversation',
  '/exit         leave (also Ctrl+D on an empty line)',
].join('\n')

/** undefined: an ordinary message (with "//" unescaped to "/") */
export function parseSlash(line: string): SlashCommand | undefined {
  const m = /^\/([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(line.trim())
  if (!m) return undefined
  const name = m[1]!.toLowerCase()
  const arg = (m[2] ?? '').trim()
  switch (name) {
    case 'system':
      return { kind: 'system', text: arg }
    case 'clear':
      return { kind: 'clear' }
    case 'save':
    case 'load':
      return arg ? { kind: name, file: arg } : { kind: 'error', message: `/${name} needs a FILE` }
    case 'help':
      return { kind: 'help' }
    case 'exit':
    case 'quit':
      return { kind: 'exit' }
    default:
      return { kind: 'error', message: `unknown command /${name} (try /help)` }
  }
}

/** The message text for a line that is not a command: "//x" → "/x". */
export function unescapeSlash(line: string): string {
  return line.startsWith('//') ? line.slice(1) : line
}
