/**
 * The chat prompt's line editor as a pure state machine (no React, no terminal): the ink view
 * feeds it ink's (input, key) pairs and renders the state. Keys:
 *   Enter                     send (a line ending in "\" continues on a new line instead)
 *   Shift+Enter, Alt+Enter, Ctrl+J   new line (Shift+Enter needs a terminal with the kitty
 *                             keyboard protocol; Alt+Enter and Ctrl+J work everywhere)
 *   ←/→, Home/End, Ctrl+A/E   move; ↑/↓ move between lines, or walk the history on the first/last line
 *   Backspace, Delete         delete before the cursor (most terminals send the same byte for both)
 *   Ctrl+U / Ctrl+K / Ctrl+W  delete to line start / to line end / the word before the cursor
 * Pasted text (one chunk, possibly with newlines) is inserted as it is, never sent.
 */
export interface EditorState {
  text: string
  /** cursor offset in `text` (UTF-16 units, always on a code point boundary) */
  cursor: number
  /** earlier inputs, oldest first */
  history: string[]
  /** index into history while browsing it; history.length = editing the draft */
  historyIndex: number
  /** the text being typed before history browsing started */
  draft: string
}

/** the subset of ink's Key the editor reads */
export interface EditorKey {
  return?: boolean
  shift?: boolean
  meta?: boolean
  ctrl?: boolean
  backspace?: boolean
  delete?: boolean
  leftArrow?: boolean
  rightArrow?: boolean
  upArrow?: boolean
  downArrow?: boolean
  home?: boolean
  end?: boolean
  tab?: boolean
  escape?: boolean
}

export function emptyEditor(history: string[] = []): EditorState {
  return { text: '', cursor: 0, history, historyIndex: history.length, draft: '' }
}

export interface EditResult {
  state: EditorState
  /** set when Enter sent the text */
  submit?: string
}

const insert = (s: EditorState, t: string): EditorState => ({ ...s, text: s.text.slice(0, s.cursor) + t + s.text.slice(s.cursor), cursor: s.cursor + t.length })
const lineStart = (t: string, c: number) => t.lastIndexOf('\n', c - 1) + 1
const lineEnd = (t: string, c: number) => (t.indexOf('\n', c) < 0 ? t.length : t.indexOf('\n', c))

/** one code point left/right of c */
function prevCp(t: string, c: number): number {
  if (c <= 0) return 0
  const lo = t.charCodeAt(c - 1)
  return c >= 2 && lo >= 0xdc00 && lo <= 0xdfff && t.charCodeAt(c - 2) >= 0xd800 && t.charCodeAt(c - 2) <= 0xdbff ? c - 2 : c - 1
}
function nextCp(t: string, c: number): number {
  if (c >= t.length) return t.length
  const hi = t.charCodeAt(c)
  return hi >= 0xd800 && hi <= 0xdbff && c + 1 < t.length ? c + 2 : c + 1
}

export function applyKey(s: EditorState, input: string, key: EditorKey): EditResult {
  const t = s.text
  if (key.return) {
    if (key.shift || key.meta) return { state: insert(s, '\n') }
    if (t.slice(0, s.cursor).endsWith('\\')) {
      const c = s.cursor - 1
      return { state: { ...s, text: t.slice(0, c) + '\n' + t.slice(s.cursor), cursor: c + 1 } }
    }
    const history = t.trim() && s.history.at(-1) !== t ? [...s.history, t] : s.history
    return { state: emptyEditor(history), submit: t }
  }
  if (key.backspace || key.delete) {
    const c = prevCp(t, s.cursor)
    return { state: { ...s, text: t.slice(0, c) + t.slice(s.cursor), cursor: c } }
  }
  if (key.leftArrow) return { state: { ...s, cursor: prevCp(t, s.cursor) } }
  if (key.rightArrow) return { state: { ...s, cursor: nextCp(t, s.cursor) } }
  if (key.home || (key.ctrl && input === 'a')) return { state: { ...s, cursor: lineStart(t, s.cursor) } }
  if (key.end || (key.ctrl && input === 'e')) return { state: { ...s, cursor: lineEnd(t, s.cursor) } }
  if (key.upArrow || key.downArrow) return { state: verticalMove(s, key.upArrow ? -1 : 1) }
  if (key.ctrl) {
    if (input === 'u') return { state: { ...s, text: t.slice(0, lineStart(t, s.cursor)) + t.slice(s.cursor), cursor: lineStart(t, s.cursor) } }
    if (input === 'k') return { state: { ...s, text: t.slice(0, s.cursor) + t.slice(lineEnd(t, s.cursor)) } }
    if (input === 'w') {
      const before = t.slice(0, s.cursor).replace(/\S+\s*$|\s+$/u, '')
      return { state: { ...s, text: before + t.slice(s.cursor), cursor: before.length } }
    }
    if (input === 'j') return { state: insert(s, '\n') }
    return { state: s }
  }
  if (key.tab || key.escape) return { state: s }
  // Ctrl+J arrives as a bare "\n" (ink names it "enter", not "return"); pastes may hold \r\n or \r.
  if (input) return { state: insert(s, input.replace(/\r\n?/g, '\n')) }
  return { state: s }
}

/** ↑/↓: move to the same column on the neighbouring line, or through the history at the edges. */
function verticalMove(s: EditorState, dir: -1 | 1): EditorState {
  const t = s.text
  const start = lineStart(t, s.cursor)
  const col = s.cursor - start
  if (dir < 0 && start > 0) {
    const prevStart = lineStart(t, start - 1)
    return { ...s, cursor: Math.min(prevStart + col, start - 1) }
  }
  const end = lineEnd(t, s.cursor)
  if (dir > 0 && end < t.length) {
    const nextEnd = lineEnd(t, end + 1)
    return { ...s, cursor: Math.min(end + 1 + col, nextEnd) }
  }
  const idx = s.historyIndex + dir
  if (idx < 0 || idx > s.history.length) return s
  const draft = s.historyIndex === s.history.length ? t : s.draft
  const text = idx === s.history.length ? draft : s.history[idx]!
  return { ...s, text, cursor: text.length, historyIndex: idx, draft }
}
