import { afterEach, describe, expect, it, vi } from 'vitest'
import chalk from 'chalk'
import { applyColorEnv, useColor } from '../../src/cli/color.js'
import { createProgress } from '../../src/cli/progress.js'

describe('NO_COLOR with FORCE_COLOR', () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR, level: chalk.level }
  afterEach(() => {
    for (const k of ['NO_COLOR', 'FORCE_COLOR'] as const) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
    chalk.level = saved.level
  })

  it('NO_COLOR wins, and FORCE_COLOR is dropped so Node does not warn that NO_COLOR is ignored', () => {
    process.env.NO_COLOR = '1'
    process.env.FORCE_COLOR = '1'
    applyColorEnv()
    expect(chalk.level).toBe(0)
    expect(process.env.FORCE_COLOR).toBeUndefined()
    expect(useColor()).toBe(false)
  })
})

describe('progress bar', () => {
  it('a terminal reporting 0 columns (a pty with no size) gets the whole line', () => {
    const writes: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { writes.push(String(s)); return true })
    const had = Object.getOwnPropertyDescriptor(process.stderr, 'columns')
    Object.defineProperty(process.stderr, 'columns', { value: 0, configurable: true })
    try {
      const bar = createProgress('eval', 4, 'bar')
      bar.finish()
    } finally {
      spy.mockRestore()
      if (had) Object.defineProperty(process.stderr, 'columns', had)
      else delete (process.stderr as { columns?: number }).columns
    }
    expect(writes.join('')).toMatch(/eval \[#{24}\] 4\/4 .* 0:00<0:00/)
  })
})
