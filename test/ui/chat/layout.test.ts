import { describe, expect, it } from 'vitest'
import { answerRows, cursorLines, formatStatus, tailLines, truncate, wrapLines } from '../../../src/ui/chat/layout.js'
import { displayWidth, formatBytes, formatTable } from '../../../src/ui/table.js'

describe('chat layout arithmetic', () => {
  it('wraps at spaces, else mid-word, and on every newline', () => {
    expect(wrapLines('the quick brown fox', 10)).toEqual(['the quick', 'brown fox'])
    expect(wrapLines('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl'])
    expect(wrapLines('a\n\nb', 5)).toEqual(['a', '', 'b'])
    expect(wrapLines('中文中文中文', 5)).toEqual(['中文', '中文', '中文']) // 2 columns each: 4 fit in 5
    for (const l of wrapLines('lorem ipsum dolor sit amet consectetur adipiscing elit', 7)) expect(displayWidth(l)).toBeLessThanOrEqual(7)
  })

  it('keeps the last rows of a long answer and counts the hidden ones', () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n')
    const t = tailLines(text, 80, 5)
    expect(t.lines).toEqual(['line 25', 'line 26', 'line 27', 'line 28', 'line 29'])
    expect(t.hidden).toBe(25)
    expect(tailLines('short', 80, 5)).toEqual({ lines: ['short'], hidden: 0 })
    expect(answerRows(24, 3)).toBe(17)
    expect(answerRows(5, 3)).toBe(3) // never less than 3
  })

  it('fills the status line to the width, dropping the key hint first when narrow', () => {
    const s = { model: 'tiny', busy: false, tokensPerSecond: 41.25, contextUsed: 312, contextMax: 2048, turns: 3 }
    const wide = formatStatus(s, 120)
    expect(wide).toHaveLength(120)
    expect(wide).toMatch(/^tiny · 41\.3 tok\/s · ctx 312\/2048 \(15%\) · 3 turns +Enter send/)
    expect(formatStatus(s, 40)).toBe('tiny · 41.3 tok/s · ctx 312/2048 (15%) …') // 40 columns, the hint dropped
    expect(formatStatus({ model: 'm', busy: true, turns: 1 }, 30)).toMatch(/^m · 1 turn +Ctrl\+C stop$/)
    expect(truncate('abcdef', 4)).toBe('abc…')
  })

  it('splits the input around the cursor', () => {
    expect(cursorLines('ab\ncd', 4)).toEqual([
      { before: 'ab', at: '', after: '', hasCursor: false },
      { before: 'c', at: 'd', after: '', hasCursor: true },
    ])
    expect(cursorLines('ab', 2)[0]).toEqual({ before: 'ab', at: ' ', after: '', hasCursor: true })
    expect(cursorLines('a b', 1)[0]).toEqual({ before: 'a', at: ' ', after: 'b', hasCursor: true })
  })

  it('formats tables and sizes for `models list`', () => {
    expect(formatTable(['NAME', 'SIZE'], [['a/b', '1.2 kB'], ['long/name', '3 B']], ['left', 'right'])).toBe('NAME         SIZE\na/b        1.2 kB\nlong/name     3 B\n')
    expect([999, 1000, 1_234_567, 5.6e9].map(formatBytes)).toEqual(['999 B', '1.0 kB', '1.2 MB', '5.6 GB'])
  })
})
