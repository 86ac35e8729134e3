import { displayWidth } from '../table.js'

/**
 * Layout arithmetic for the chat view, as plain functions (tested without rendering).
 * Widths are terminal columns (wide CJK/emoji count 2, see displayWidth).
 */

/** Wrap to `width` columns: break at the last space that fits, else mid-word; "\n" always breaks. */
export function wrapLines(text: string, width: number): string[] {
  const w = Math.max(1, width)
  const out: string[] = []
  for (const line of text.split('\n')) {
    let rest = line
    while (displayWidth(rest) > w) {
      let cols = 0
      let cut = 0
      for (const ch of rest) {
        const cw = displayWidth(ch)
        if (cols + cw > w) break
        cols += cw
        cut += ch.length
      }
      const space = rest.lastIndexOf(' ', cut)
      const at = space > 0 ? space : Math.max(cut, 1)
      out.push(rest.slice(0, at))
      rest = space > 0 ? rest.slice(at + 1) : rest.slice(at)
    }
    out.push(rest)
  }
  return out
}

/** The last `rows` wrapped lines (what fits on screen while an answer streams). */
export function tailLines(text: string, width: number, rows: number): { lines: string[]; hidden: number } {
  const all = wrapLines(text, width)
  const keep = Math.max(1, rows)
  return all.length <= keep ? { lines: all, hidden: 0 } : { lines: all.slice(all.length - keep), hidden: all.length - keep }
}

/**
 * Rows left for the streaming answer: the terminal's rows minus the input box, the status line
 * and a margin, at least 3.
 */
export function answerRows(terminalRows: number, inputRows: number): number {
  return Math.max(3, terminalRows - inputRows - 4)
}

export interface StatusInfo {
  model: string
  busy: boolean
  tokensPerSecond?: number
  contextUsed?: number
  contextMax?: number
  turns: number
}

/**
 * The status line: "model · 41.2 tok/s · ctx 312/2048 (15%) · 3 turns" on the left and a key
 * hint on the right; the hint goes first when the line is too narrow, then the left is cut with "…".
 */
export function formatStatus(s: StatusInfo, width: number): string {
  const parts = [s.model]
  if (s.tokensPerSecond !== undefined) parts.push(`${s.tokensPerSecond.toFixed(1)} tok/s`)
  if (s.contextUsed !== undefined) {
    parts.push(s.contextMax ? `ctx ${s.contextUsed}/${s.contextMax} (${Math.round((100 * s.contextUsed) / s.contextMax)}%)` : `ctx ${s.contextUsed}`)
  }
  parts.push(`${s.turns} turn${s.turns === 1 ? '' : 's'}`)
  const left = parts.join(' · ')
  const hint = s.busy ? 'Ctrl+C stop' : 'Enter send · Alt+Enter/Ctrl+J/\\ newline · /help'
  const lw = displayWidth(left)
  const hw = displayWidth(hint)
  if (lw + 2 + hw <= width) return left + ' '.repeat(width - lw - hw) + hint
  return truncate(left, width)
}

export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s
  let out = ''
  let cols = 0
  for (const ch of s) {
    const cw = displayWidth(ch)
    if (cols + cw > width - 1) break
    out += ch
    cols += cw
  }
  return out + '…'
}

/** The input split into its lines, with the cursor's line and the text before/at/after it. */
export function cursorLines(text: string, cursor: number): Array<{ before: string; at: string; after: string; hasCursor: boolean }> {
  const lines = text.split('\n')
  let offset = 0
  return lines.map((line) => {
    const start = offset
    offset += line.length + 1
    if (cursor < start || cursor > start + line.length) return { before: line, at: '', after: '', hasCursor: false }
    const col = cursor - start
    const at = line.slice(col).length ? String.fromCodePoint(line.codePointAt(col)!) : ' '
    return { before: line.slice(0, col), at, after: line.slice(col + (at === ' ' && col === line.length ? 0 : at.length)), hasCursor: true }
  })
}
