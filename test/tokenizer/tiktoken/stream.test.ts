/**
 * Streaming tiktoken: every cut `streamCut` offers splits the ids exactly (parts = whole, and the
 * whole is checked against tiktoken's WASM core), on the adversarial corpus and random mixtures
 * of its pieces; encodeStream over random read sizes (UTF-8 split mid-character) equals one
 * encode; the compiled cache reads back to the same encoding, and a stale or damaged cache file
 * is ignored.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { get_encoding } from 'tiktoken'
import { afterAll, describe, expect, it } from 'vitest'
import { countStream, encodeStream } from '../../../src/core/tokenize/index.js'
import { TiktokenEncoding, loadTiktokenEncoding } from '../../../src/tokenizer/tiktoken/index.js'
import { readCompiled, sourceKey, writeCompiled } from '../../../src/tokenizer/tiktoken/cache.js'
import { bundledEncodingPath } from '../../../src/tokenizer/tiktoken/ranks.js'
import { ADVERSARIAL } from '../../fixtures/tokenizer/adversarial.js'
import { seededRandom } from '../../helpers.js'

const NAMES = ['r50k_base', 'cl100k_base', 'o200k_base'] as const
const dir = mkdtempSync(join(tmpdir(), 'llm-tik-stream-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** texts whose every cut is checked: the corpus, its pairs joined by separators that make cuts */
function texts(): string[] {
  const next = seededRandom(7)
  const seps = [' ', '\n', '\n\n', ' \n', '.\n', 'x\ny', "it's a", 'A B', 'é ü', '日 本', '\r\n', '\t', '  ', 'a\u00a0b', 'a\u3000b', 'z\u{1F600} q']
  const out = [...ADVERSARIAL]
  for (let i = 0; i < 60; i++) {
    let s = ''
    for (let k = 0; k < 4; k++) s += ADVERSARIAL[Math.floor(next() * ADVERSARIAL.length)]! + seps[Math.floor(next() * seps.length)]!
    out.push(s)
  }
  return out
}

describe('TiktokenEncoding.streamCut', () => {
  for (const name of NAMES) {
    it(`${name}: every offered cut splits the ids exactly (whole = tiktoken)`, () => {
      const ours = loadTiktokenEncoding(name)
      const ref = get_encoding(name)
      let cuts = 0
      for (const t of texts()) {
        const whole = ours.encode(t)
        expect(whole).toEqual(Array.from(ref.encode(t, [], [])))
        // every prefix's last cut is a cut of the whole text (a stream sees prefixes)
        const seen = new Set<number>()
        for (let end = 2; end <= t.length; end++) {
          const c = ours.streamCut(t.slice(0, end))
          if (c <= 0 || seen.has(c)) continue
          seen.add(c)
          cuts++
          expect(c).toBeLessThan(end)
          expect([...ours.encode(t.slice(0, c)), ...ours.encode(t.slice(c))], `${JSON.stringify(t)} cut at ${c}`).toEqual(whole)
        }
      }
      expect(cuts).toBeGreaterThan(300) // the test looked at real cuts
      ref.free()
    })
  }

  it('offers no cut when an allowed special token contains white space', () => {
    const base = loadTiktokenEncoding('cl100k_base')
    const { table, regexSource } = base.compiled()
    const enc = new TiktokenEncoding({ name: 'x', pattern: base.pattern, specialTokens: { '<a b>': 200000 }, ranks: table, regexSource })
    expect(enc.streamCut('hello world again')).toBeGreaterThan(0)
    expect(enc.streamCut('hello world again', { allowedSpecial: 'all' })).toBe(-1)
  })
})

describe('encodeStream', () => {
  it('equals one encode for random read sizes (UTF-8 cut mid-character), specials allowed or not', async () => {
    const enc = loadTiktokenEncoding('cl100k_base')
    const next = seededRandom(99)
    const text = texts().join(' <|endoftext|> ').repeat(40) // several stream parts of >= 64K chars
    const bytes = Buffer.from(text, 'utf8')
    for (const allowedSpecial of ['none', 'all'] as const) {
      const chunks: Uint8Array[] = []
      for (let i = 0; i < bytes.length;) {
        const n = 1 + Math.floor(next() * 40_000)
        chunks.push(bytes.subarray(i, i + n))
        i += n
      }
      const parts: number[][] = []
      for await (const ids of encodeStream(enc, chunks, { allowedSpecial })) parts.push(ids)
      expect(parts.length).toBeGreaterThan(2)
      const whole = enc.encode(text, { allowedSpecial })
      expect(parts.flat()).toEqual(whole)
      expect(await countStream(enc, chunks, { allowedSpecial })).toBe(whole.length)
    }
  })

  it('keeps a leading BOM as text and decodes a character split across reads', async () => {
    const enc = loadTiktokenEncoding('cl100k_base')
    const b = Buffer.from('\uFEFFhé😀', 'utf8')
    const chunks = Array.from(b, (x) => Uint8Array.of(x))
    const got: number[] = []
    for await (const ids of encodeStream(enc, chunks)) got.push(...ids)
    expect(got).toEqual(Array.from(get_encoding('cl100k_base').encode('\uFEFFhé😀', [], [])))
  })
})

describe('compiled cache', () => {
  it('reads back an identical encoding; a stale key or a damaged file is ignored', () => {
    const name = 'o200k_base'
    const base = loadTiktokenEncoding(name)
    const key = sourceKey(bundledEncodingPath(name))
    const path = join(dir, `${name}.bin`)
    expect(writeCompiled(path, key, { pattern: base.pattern, specialTokens: Object.fromEntries(base.specialTokens), ...base.compiled() })).toBe(true)
    const hit = readCompiled(path, key)!
    expect(hit).toBeDefined()
    const again = new TiktokenEncoding({ name, pattern: hit.pattern, specialTokens: hit.specialTokens, ranks: hit.table, regexSource: hit.regexSource })
    for (const t of ADVERSARIAL) {
      expect(again.encode(t, { allowedSpecial: 'all' })).toEqual(base.encode(t, { allowedSpecial: 'all' }))
    }
    expect(again.vocabSize).toBe(base.vocabSize)
    expect(again.decode(base.encode('héllo wörld'))).toBe('héllo wörld')
    expect(readCompiled(path, key + 'x')).toBeUndefined()
    const buf = readFileSync(path)
    writeFileSync(path, buf.subarray(0, buf.length - 1))
    expect(readCompiled(path, key)).toBeUndefined()
    writeFileSync(path, 'not a cache')
    expect(readCompiled(path, key)).toBeUndefined()
    expect(readCompiled(join(dir, 'missing.bin'), key)).toBeUndefined()
  })
})
