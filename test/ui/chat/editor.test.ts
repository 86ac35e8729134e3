import { describe, expect, it } from 'vitest'
import { applyKey, emptyEditor, type EditorKey, type EditorState } from '../../../src/ui/chat/editor.js'

/** type a sequence of [input, key] steps; returns the final state and every submitted text */
function run(steps: Array<string | [string, EditorKey]>, start: EditorState = emptyEditor()) {
  let s = start
  const sent: string[] = []
  for (const step of steps) {
    const [input, key] = typeof step === 'string' ? [step, {}] : step
    const r = applyKey(s, input, key)
    s = r.state
    if (r.submit !== undefined) sent.push(r.submit)
  }
  return { s, sent }
}
const ENTER: [string, EditorKey] = ['\r', { return: true }]
const BS: [string, EditorKey] = ['', { backspace: true }]
const DEL: [string, EditorKey] = ['', { delete: true }] // what ink reports for the \x7f most terminals send for Backspace
const LEFT: [string, EditorKey] = ['', { leftArrow: true }]
const UP: [string, EditorKey] = ['', { upArrow: true }]
const DOWN: [string, EditorKey] = ['', { downArrow: true }]

describe('chat line editor', () => {
  it('types, edits in the middle and sends on Enter', () => {
    const { s, sent } = run(['helo', LEFT, 'l', ENTER])
    expect(sent).toEqual(['hello'])
    expect(s.text).toBe('')
    expect(run(['abc', BS, DEL]).s).toMatchObject({ text: 'a', cursor: 1 })
  })

  it('makes new lines with a trailing backslash, Alt+Enter, Shift+Enter and Ctrl+J, without sending', () => {
    const { s, sent } = run(['one\\', ENTER, 'two', ['\r', { return: true, meta: true }], 'three', ['\r', { return: true, shift: true }], 'four', '\n', 'five', ['j', { ctrl: true }], 'six'])
    expect(sent).toEqual([])
    expect(s.text).toBe('one\ntwo\nthree\nfour\nfive\nsix')
    expect(run([...'x'.split(''), '\n', 'y', ENTER]).sent).toEqual(['x\ny'])
  })

  it('inserts a pasted chunk with newlines as text (CRLF and CR become LF)', () => {
    const { s, sent } = run(['a\r\nb\rc'])
    expect(sent).toEqual([])
    expect(s.text).toBe('a\nb\nc')
  })

  it('walks the history with up/down, keeping the draft', () => {
    const { s } = run(['first', ENTER, 'second', ENTER, 'dra', UP])
    expect(s.text).toBe('second')
    expect(run([UP], s).s.text).toBe('first')
    expect(run([UP, UP], s).s.text).toBe('first') // stays at the oldest
    expect(run([DOWN], s).s.text).toBe('dra')
    expect(run([UP, DOWN, DOWN], s).s.text).toBe('dra')
    // an empty line and a repeat are not added to the history
    expect(run(['a', ENTER, 'a', ENTER, ENTER]).s.history).toEqual(['a'])
  })

  it('up/down move between lines of a multi-line input before touching the history', () => {
    const { s } = run(['old', ENTER, 'abcdef', '\n', 'xy'])
    const up = run([UP], s).s
    expect(up.text).toBe('abcdef\nxy')
    expect(up.cursor).toBe(2) // same column on the line above
    expect(run([UP, UP], s).s.text).toBe('old')
  })

  it('keeps surrogate pairs whole when moving and deleting', () => {
    const { s } = run(['a😀', LEFT])
    expect(s.cursor).toBe(1)
    expect(run(['a😀', BS]).s.text).toBe('a')
  })

  it('Ctrl+U, Ctrl+K, Ctrl+W, Ctrl+A, Ctrl+E', () => {
    const ctrl = (c: string): [string, EditorKey] => [c, { ctrl: true }]
    expect(run(['hello world', ctrl('w')]).s.text).toBe('hello ')
    expect(run(['hello world', ctrl('u')]).s.text).toBe('')
    expect(run(['hello world', ctrl('a'), ctrl('k')]).s.text).toBe('')
    expect(run(['ab', ctrl('a'), 'X', ctrl('e'), 'Y']).s.text).toBe('XabY')
  })
})
