import { useApp, useInput, useStdin, useStdout } from 'ink'
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ChatSession } from '../../core/chat/session.js'
import { parseSlash, SLASH_HELP, unescapeSlash } from '../../core/chat/slash.js'
import { LlmError } from '../../core/errors.js'
import { applyKey, emptyEditor, type EditorKey } from './editor.js'
import { ChatView, type TranscriptItem } from './ChatView.js'

export interface ChatAppProps {
  session: ChatSession
  /** shown in the status line */
  modelName: string
}

const NOTES: Record<string, string | undefined> = { abort: 'stopped', length: 'length limit', eos: undefined, stop: undefined }

/**
 * The interactive chat: keys → editor, Enter → slash command or a turn of the session, the
 * answer streamed into the view. Ctrl+C stops an answer; when idle, Ctrl+C or Ctrl+D (on an
 * empty line) or /exit leave.
 */
export function ChatApp({ session, modelName }: ChatAppProps) {
  const { exit } = useApp()
  const { isRawModeSupported } = useStdin()
  const { stdout } = useStdout()
  const size = useTerminalSize(stdout)
  const nextId = useRef(1)
  const [items, setItems] = useState<TranscriptItem[]>(() => [
    { id: 0, kind: 'notice', text: `chat with ${modelName} — /help for commands, Ctrl+D or /exit to leave` },
  ])
  // The editor lives in a ref as well: several keys can arrive before React re-renders, and each
  // must see the previous key's result (state captured by the handler would be stale).
  const editorRef = useRef(emptyEditor())
  const [editor, setEditor] = useState(editorRef.current)
  const [streaming, setStreaming] = useState<string | undefined>(undefined)
  const [stats, setStats] = useState<{ tps?: number; used?: number }>({})
  const abort = useRef<{ aborted: boolean } | null>(null)

  const add = useCallback((...more: Array<Omit<TranscriptItem, 'id'>>) => {
    setItems((prev) => [...prev, ...more.map((m) => ({ ...m, id: nextId.current++ }))])
  }, [])

  const send = useCallback(
    async (text: string) => {
      add({ kind: 'user', text })
      const signal = { aborted: false }
      abort.current = signal
      let acc = ''
      setStreaming('')
      try {
        const r = await session.send(text, { signal, onText: (t) => { acc += t; setStreaming(acc) } })
        add({ kind: 'assistant', text: r.text, note: [NOTES[r.finishReason], r.dropped ? `${r.dropped} earlier messages left out to fit the context` : undefined].filter(Boolean).join('; ') || undefined })
        setStats({ tps: r.tokensPerSecond, used: r.contextUsed })
      } catch (e) {
        add({ kind: 'error', text: `error: ${e instanceof LlmError ? e.oneLine() : (e as Error).message}` })
      } finally {
        abort.current = null
        setStreaming(undefined)
      }
    },
    [session, add],
  )

  const command = useCallback(
    (line: string): void => {
      const cmd = parseSlash(line)
      if (!cmd) {
        void send(unescapeSlash(line))
        return
      }
      try {
        switch (cmd.kind) {
          case 'system':
            session.setSystem(cmd.text)
            return add({ kind: 'notice', text: cmd.text ? 'system prompt set' : 'system prompt removed' })
          case 'clear':
            session.clear()
            setStats({})
            return add({ kind: 'notice', text: '— conversation cleared —' })
          case 'save':
            session.save(cmd.file)
            return add({ kind: 'notice', text: `saved ${session.messages.length} messages to ${cmd.file}` })
          case 'load': {
            session.load(cmd.file)
            const shown = session.messages.filter((m) => m.role !== 'system')
            return add(
              { kind: 'notice', text: `loaded ${session.messages.length} messages from ${cmd.file}` },
              ...shown.map((m) => ({ kind: m.role === 'user' ? ('user' as const) : ('assistant' as const), text: m.content })),
            )
          }
          case 'help':
            return add({ kind: 'notice', text: SLASH_HELP })
          case 'exit':
            return exit()
          case 'error':
            return add({ kind: 'error', text: cmd.message })
        }
      } catch (e) {
        add({ kind: 'error', text: `error: ${e instanceof LlmError ? e.oneLine() : (e as Error).message}` })
      }
    },
    [session, send, add, exit],
  )

  const busy = streaming !== undefined
  useInput(
    (input, key: EditorKey & { ctrl: boolean }) => {
      if (key.ctrl && input === 'c') {
        if (abort.current) abort.current.aborted = true
        else exit()
        return
      }
      const ed = editorRef.current
      const generating = abort.current !== null
      if (key.ctrl && input === 'd' && ed.text === '' && !generating) return exit()
      if (generating && key.return && !key.shift && !key.meta && !ed.text.slice(0, ed.cursor).endsWith('\\')) return // one answer at a time
      const r = applyKey(ed, input, key)
      editorRef.current = r.state
      setEditor(r.state)
      if (r.submit !== undefined && r.submit.trim() !== '') command(r.submit)
    },
    { isActive: isRawModeSupported },
  )

  return (
    <ChatView
      items={items}
      streaming={streaming}
      editor={editor}
      width={size.columns}
      rows={size.rows}
      status={{ model: modelName, busy, tokensPerSecond: stats.tps, contextUsed: stats.used, contextMax: session.engine.info.contextLength, turns: session.turns }}
    />
  )
}

function useTerminalSize(stdout: NodeJS.WriteStream): { columns: number; rows: number } {
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = () => setSize(read())
    stdout.on('resize', onResize)
    return () => void stdout.off('resize', onResize)
  }, [stdout])
  return size
}
