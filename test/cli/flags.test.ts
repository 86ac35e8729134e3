import { describe, expect, it } from 'vitest'
import { describeRange, parseNumber } from '../../src/cli/flags.js'
import { LlmError } from '../../src/core/errors.js'

describe('number flags', () => {
  it('describe their range in words', () => {
    expect(describeRange({ int: true, min: 1 })).toBe('a whole number >= 1')
    expect(describeRange({ above: 0, max: 1 })).toBe('a number in (0, 1]')
    expect(describeRange({ min: 0, max: 0.9 })).toBe('a number in [0, 0.9]')
    expect(describeRange({ above: 0 })).toBe('a number > 0')
    expect(describeRange({ max: 3 })).toBe('a number <= 3')
    expect(describeRange({})).toBe('a number')
  })

  it('accept a finite decimal number in range, and nothing else', () => {
    expect(parseNumber('lr', '3e-4', { min: 0 })).toBe(3e-4)
    expect(parseNumber('top-p', '1', { above: 0, max: 1 })).toBe(1)
    expect(parseNumber('seed', ' 42 ', { int: true, min: 0 })).toBe(42)
    expect(parseNumber('lr', '.5', {})).toBe(0.5)
    for (const [input, range] of [['', {}], [' ', {}], ['Infinity', {}], ['NaN', {}], ['1.5', { int: true }], ['0', { above: 0 }], ['-1', { min: 0 }], ['2', { max: 1 }], ['1e400', {}], ['0x10', {}], ['0b1', {}], ['1,5', {}]] as const) {
      let e: unknown
      try { parseNumber('x', input, range) } catch (err) { e = err }
      expect(e, JSON.stringify(input)).toBeInstanceOf(LlmError)
      expect((e as LlmError).exitCode).toBe(2)
      expect((e as LlmError).oneLine()).toBe(`--x: expected ${describeRange(range)}, got '${input}' (hint: see --help)`)
    }
  })
})
