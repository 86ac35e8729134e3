/**
 * `.tiktoken` rank files, encoding names and errors; and the U+FEFF case that the pure-JS peers
 * (js-tiktoken, gpt-tokenizer: JS `\s` matches U+FEFF) get wrong and we must not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/cl100k_base'
import { getEncoding } from 'js-tiktoken'
import { get_encoding } from 'tiktoken'
import { afterAll, describe, expect, it } from 'vitest'
import { EXIT, LlmError } from '../../../src/core/errors.js'
import { loadTiktokenEncoding, loadTiktokenFile } from '../../../src/tokenizer/tiktoken/index.js'
import { ADVERSARIAL } from '../../fixtures/tokenizer/adversarial.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-tiktoken-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** write an encoding's ranks in the .tiktoken format, from tiktoken's own token byte values */
function writeRankFile(name: 'r50k_base' | 'cl100k_base', keep: (rank: number) => boolean = () => true): string {
  const ref = get_encoding(name)
  const lines: string[] = []
  ref.token_byte_values().forEach((bytes) => {
    const rank = ref.encode_single_token(Uint8Array.from(bytes))
    if (keep(rank)) lines.push(`${Buffer.from(bytes).toString('base64')} ${rank}`)
  })
  ref.free()
  const path = join(dir, `${name}-${lines.length}.tiktoken`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

const caught = (f: () => unknown): LlmError => {
  try { f() } catch (e) { if (e instanceof LlmError) return e; throw e }
  throw new Error('expected an LlmError')
}

describe('.tiktoken files', () => {
  it('recognises a known encoding by its ranks and takes its pattern and special tokens', () => {
    const path = writeRankFile('cl100k_base')
    const fromFile = loadTiktokenFile(path)
    const named = loadTiktokenEncoding('cl100k_base')
    expect(fromFile.pattern).toBe(named.pattern)
    expect([...fromFile.specialTokens]).toEqual([...named.specialTokens])
    for (const s of ADVERSARIAL) expect(fromFile.encode(s, { allowedSpecial: 'all' })).toEqual(named.encode(s, { allowedSpecial: 'all' }))
  })

  it('gives an unknown file cl100k_base\'s pattern and no special tokens, unless told otherwise', () => {
    const path = writeRankFile('r50k_base', (rank) => rank < 40_000) // every byte is below rank 256
    const bare = loadTiktokenFile(path)
    expect(bare.pattern).toBe(loadTiktokenEncoding('cl100k_base').pattern)
    expect(bare.specialTokens.size).toBe(0)
    expect(bare.encode('<|endoftext|>', { allowedSpecial: 'all' }).length).toBeGreaterThan(1)
    const told = loadTiktokenFile(path, { pattern: loadTiktokenEncoding('r50k_base').pattern, specialTokens: { '<|endoftext|>': 50256 } })
    expect(told.encode('<|endoftext|>', { allowedSpecial: 'all' })).toEqual([50256])
    // with r50k's pattern and a subset of its ranks, text made of frequent pieces tokenizes the same
    expect(told.encode('hello world, it is a test')).toEqual(loadTiktokenEncoding('r50k_base').encode('hello world, it is a test'))
  })

  it('names the file and the line of a corrupt entry', () => {
    const cases: Array<[string, RegExp]> = [
      ['IQ== 0\nIg== 1\nnot base64! 2\n', /bad\.tiktoken: line 3: expected "BASE64 RANK"/],
      ['IQ== 0\nIg==\n', /bad\.tiktoken: line 2: expected "BASE64 RANK"/],
      ['IQ== 0\nI$== 1\n', /bad\.tiktoken: line 2: invalid base64 token/],
      ['IQ== 0\nIg== x\n', /bad\.tiktoken: line 2: invalid rank 'x'/],
      ['IQ== 0\nIg== 0\n', /bad\.tiktoken: line 2: rank 0 appears twice/],
      ['', /bad\.tiktoken: no ranks in file/],
      ['IQ== 0\n', /no rank for the single byte 0x00/],
    ]
    for (const [text, message] of cases) {
      const path = join(dir, 'bad.tiktoken')
      writeFileSync(path, text)
      const err = caught(() => loadTiktokenFile(path))
      expect(err.oneLine()).toMatch(message)
      expect(err.oneLine()).not.toMatch(/\n/)
    }
    expect(caught(() => loadTiktokenFile(join(dir, 'missing.tiktoken'))).oneLine()).toMatch(/missing\.tiktoken: cannot read file: no such file/)
  })
})

describe('encoding names', () => {
  it('rejects an unknown name with a usage error listing the known ones', () => {
    const err = caught(() => loadTiktokenEncoding('cl200k_base'))
    expect(err.exitCode).toBe(EXIT.usage)
    expect(err.oneLine()).toBe("--encoding: unknown encoding 'cl200k_base' (hint: known encodings: r50k_base, p50k_base, cl100k_base, o200k_base)")
  })

  it('loads each encoding once and caches it', () => {
    expect(loadTiktokenEncoding('o200k_base')).toBe(loadTiktokenEncoding('o200k_base'))
  })
})

describe('U+FEFF (BOM) inside text', () => {
  it('tokenizes "a \\uFEFFb" as tiktoken does, where js-tiktoken and gpt-tokenizer differ', () => {
    const text = 'a \uFEFFb'
    const ref = get_encoding('cl100k_base')
    const want = Array.from(ref.encode(text, [], []))
    ref.free()
    expect(loadTiktokenEncoding('cl100k_base').encode(text)).toEqual(want)
    // the peers' JS `\s` takes U+FEFF as whitespace: this case really does discriminate
    expect(getEncoding('cl100k_base').encode(text, [], [])).not.toEqual(want)
    expect(gptTokenizerEncode(text)).not.toEqual(want)
  })
})
