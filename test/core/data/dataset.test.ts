import { describe, it, expect } from 'vitest'
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadTokenStream, readDataFile, splitTrainVal } from '../../../src/core/data/dataset.js'
import { encodeTokenFile } from '../../../src/core/data/tokens-file.js'
import { byteTokenizer } from '../../../src/core/data/simple-tokenizers.js'
import type { LlmError } from '../../../src/core/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-data-'))
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

describe('training data', () => {
  it('text, JSONL and token files concatenate in order; text is cached by content hash', () => {
    const files = [
      readDataFile(file('a.txt', 'hi')),
      readDataFile(file('b.jsonl', '{"text":"A"}\n\n{"text":"B"}\n')),
      readDataFile(file('c.bin', encodeTokenFile([300, 301]))),
    ]
    expect(files.map((f) => f.kind)).toEqual(['text', 'jsonl', 'tokens'])
    const cache = join(dir, 'cache')
    const tok = byteTokenizer()
    const first = loadTokenStream(files, tok, 'bytes', cache)
    // JSONL documents are separated by "\n" when the tokenizer has no EOS
    expect(Array.from(first.tokens)).toEqual([104, 105, 65, 10, 66, 300, 301])
    expect(first.cached).toBe(false)
    expect(existsSync(first.cacheFile!)).toBe(true)
    const again = loadTokenStream(files, tok, 'bytes', cache)
    expect(again.cached).toBe(true)
    expect(Array.from(again.tokens)).toEqual(Array.from(first.tokens))
    // another tokenizer identity → another cache entry
    expect(loadTokenStream(files, tok, 'other', cache).cached).toBe(false)
  })
  it('JSONL errors name the file and line', () => {
    const p = file('bad.jsonl', '{"text":"ok"}\n{"txt":"no"}\n')
    const oneLine = (f: string) => { try { readDataFile(f) } catch (e) { return (e as LlmError).oneLine() } }
    expect(oneLine(p)).toBe(`${p}:2: no string "text" field on this line (hint: JSONL data needs one {"text": "..."} object per line)`)
    const q = file('bad2.jsonl', '{"text":"ok"}\nnot json\n')
    expect(oneLine(q)).toBe(`${q}:2: not valid JSON: Unexpected token 'o' at column 2 (hint: JSONL data needs one {"text": "..."} object per line)`)
  })
  it('a .bin that is not a token file is refused, naming it', () => {
    const p = file('x.bin', 'plain words, no header, long enough '.repeat(40))
    expect(() => readDataFile(p)).toThrow(/bad token file header/)
  })
  it('text data without a tokenizer is a usage error', () => {
    expect(() => loadTokenStream([readDataFile(file('t.txt', 'abc'))], undefined, '', join(dir, 'c2'))).toThrow(/needs a tokenizer/)
  })
  it('nanoGPT split: first (1 − f) trains, the rest validates', () => {
    const t = Uint32Array.from({ length: 100 }, (_, i) => i)
    const { train, val } = splitTrainVal(t, 0.1)
    expect([train.length, val.length, val[0]]).toEqual([90, 10, 90])
    expect(splitTrainVal(t, 0).val.length).toBe(0)
  })
})
