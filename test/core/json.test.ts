import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LlmError } from '../../src/core/errors.js'
import { parseJson, readJsonArray, readJsonl, readJsonObject, syntaxErrorOffset } from '../../src/core/json.js'
import { seededRandom } from '../helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-json-'))
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}
const oneLine = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (e instanceof LlmError) return e.oneLine()
    throw e
  }
  throw new Error('did not throw')
}

describe('the JSON reader', () => {
  it('names FILE:LINE and the column for a syntax error, whatever V8 says about it', () => {
    const f = file('config.json', '{\n  "a": 1,\n  "b": }\n')
    expect(oneLine(() => readJsonObject(f))).toBe(`${f}:3: not valid JSON: Unexpected token '}' at column 8`)
    const g = file('cut.json', '{\n  "a": [1, 2\n')
    expect(oneLine(() => readJsonObject(file('empty.json', '')))).toBe(`${join(dir, 'empty.json')}:1: not valid JSON: Unexpected end of JSON input at column 1`)
    expect(oneLine(() => readJsonObject(g))).toBe(`${g}:3: not valid JSON: Expected ',' or ']' after array element at column 1`)
    const h = file('comma.json', '{"a": 1,}')
    expect(oneLine(() => readJsonObject(h, { hint: 'pull the model again' }))).toBe(`${h}:1: not valid JSON: Expected double-quoted property name at column 9 (hint: pull the model again)`)
  })

  it('checks the kind of value and names a missing file', () => {
    const arr = file('arr.json', '[1]')
    expect(oneLine(() => readJsonObject(arr))).toBe(`${arr}: expected a JSON object, got an array`)
    expect(oneLine(() => readJsonArray(file('obj.json', '{}')))).toBe(`${join(dir, 'obj.json')}: expected a JSON array, got an object`)
    expect(readJsonArray(arr)).toEqual([1])
    expect(oneLine(() => readJsonObject(join(dir, 'none.json')))).toBe(`${join(dir, 'none.json')}: cannot read file: no such file or directory`)
  })

  it('JSON Lines: values with their line numbers, blank lines and CRLF skipped, a bad line named', () => {
    const f = file('d.jsonl', '{"a":1}\r\n\n  \n[2]\n"x"\n')
    expect([...readJsonl(f)]).toEqual([{ value: { a: 1 }, line: 1 }, { value: [2], line: 4 }, { value: 'x', line: 5 }])
    const bad = file('bad.jsonl', '{"a":1}\n\n{"a": tru}\n')
    expect(oneLine(() => [...readJsonl(bad)])).toBe(`${bad}:3: not valid JSON: Unexpected token '}' at column 10`)
  })

  it('finds the error where V8 does, on mutated JSON (seeded)', () => {
    // V8 names the position for some errors ("… in JSON at position N"): ours must agree there,
    // and must accept every text V8 accepts.
    const next = seededRandom(7)
    const base = JSON.stringify({ name: 'llama', dims: [1, -2.5e3, 0.25], ok: true, none: null, text: 'a "q" \\ \u00e9 \n', nested: { x: [[], {}] } }, null, 1)
    const alphabet = '{}[],:"\\ \n0123456789-+.eEtrufalsn\u00e9'
    let compared = 0
    for (let n = 0; n < 3000; n++) {
      const chars = [...base]
      for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
        const at = Math.floor(next() * chars.length)
        const c = alphabet[Math.floor(next() * alphabet.length)]!
        const op = next()
        if (op < 0.4) chars[at] = c
        else if (op < 0.7) chars.splice(at, 1)
        else chars.splice(at, 0, c)
      }
      const text = chars.join('')
      let v8: number | undefined
      try {
        JSON.parse(text)
        expect(syntaxErrorOffset(text), text).toBe(text.length)
        continue
      } catch (e) {
        const m = / at position (\d+)/.exec((e as Error).message)
        if (m) v8 = Number(m[1])
      }
      if (v8 === undefined) continue
      expect(syntaxErrorOffset(text), text).toBe(v8)
      compared++
    }
    expect(compared).toBeGreaterThan(500)
  })

  it('numbers a JSON Lines error from the line it is on', () => {
    expect(oneLine(() => parseJson('{"a" 1}', 'f.jsonl', { firstLine: 12 }))).toBe(`f.jsonl:12: not valid JSON: Expected ':' after property name at column 6`)
  })
})
