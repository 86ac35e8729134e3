import { Box, Static, Text } from 'ink'
import type { EditorState } from './editor.js'
import { answerRows, cursorLines, formatStatus, tailLines, type StatusInfo } from './layout.js'

/** One finished entry of the transcript (printed once, then left in the terminal's scrollback). */
export interface TranscriptItem {
  id: number
  kind: 'user' | 'assistant' | 'notice' | 'error'
  text: string
  /** e.g. "stopped", "length limit" */
  note?: string
}

export interface ChatViewProps {
  items: readonly TranscriptItem[]
  /** the answer being generated (undefined when idle) */
  streaming?: string
  editor: EditorState
  status: StatusInfo
  width: number
  rows: number
}

/**
 * The chat screen: finished turns in <Static> (written once, so long conversations cost
 * nothing to redraw and stay in scrollback), then the streaming answer (only its last lines,
 * so the live region never outgrows the terminal), the input box and the status line.
 */
export function ChatView({ items, streaming, editor, status, width, rows }: ChatViewProps) {
  const input = cursorLines(editor.text, editor.cursor)
  const tail = streaming === undefined ? undefined : tailLines(streaming, width, answerRows(rows, input.length + 2))
  return (
    <>
      <Static items={[...items]}>{(item) => <Entry key={item.id} item={item} />}</Static>
      {tail && (
        <Box flexDirection="column">
          {tail.hidden > 0 && <Text dimColor>{`… ${tail.hidden} more line${tail.hidden === 1 ? '' : 's'} above`}</Text>}
          <Text>{tail.lines.join('\n') || ' '}</Text>
        </Box>
      )}
      <Box borderStyle="round" borderColor={status.busy ? 'gray' : 'cyan'} flexDirection="column" width={width} paddingX={1}>
        {input.map((l, i) => (
          <Text key={i} wrap="wrap">
            <Text color="cyan">{i === 0 ? '› ' : '  '}</Text>
            {l.before}
            {l.hasCursor ? <Text inverse>{l.at}</Text> : null}
            {l.after}
          </Text>
        ))}
      </Box>
      <Text dimColor wrap="truncate">{formatStatus(status, width)}</Text>
    </>
  )
}

function Entry({ item }: { item: TranscriptItem }) {
  switch (item.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Text color="cyan">{'› '}</Text>
          <Text>{item.text}</Text>
        </Box>
      )
    case 'assistant':
      return (
        <Box flexDirection="column">
          <Text>{item.text}</Text>
          {item.note && <Text dimColor>{`[${item.note}]`}</Text>}
        </Box>
      )
    case 'notice':
      return <Text dimColor>{item.text}</Text>
    case 'error':
      return <Text color="red">{item.text}</Text>
  }
}
