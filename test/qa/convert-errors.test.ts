import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { needs, runCli, SHARED, shared } from '../helpers.js'

const work = mkdtempSync(join(tmpdir(), 'llm-qa-convert-'))

needs(SHARED).describe('llm convert: errors name the file at fault', () => {
  it('a tokenizer .model cut at a piece boundary (parses, but as a unigram model) is named', () => {
    // 2000 bytes of tok512.model end exactly between two pieces: valid protobuf without the trainer spec
    const cut = join(work, 'cut.model')
    writeFileSync(cut, readFileSync(shared('models/stories260K/tok512.model')).subarray(0, 2000))
    const r = runCli(['convert', shared('models/stories260K/stories260K.bin'), '--from', 'llama2c', '--tokenizer', cut, '--out', join(work, 'out')])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`llm convert: error: ${cut}: cannot convert a unigram SentencePiece model to a Llama-style tokenizer.json (hint: only BPE models convert (LlamaConverter))\n`)
  })
})
