import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers.js'

/** `cat text | llm tokenizer train …`: piped stdin is the corpus when no FILES are given. */
const work = mkdtempSync(join(tmpdir(), 'llm-qa-tt-'))
// no trailing newline, CRLF and a multi-byte character: stdin must arrive verbatim
const text = 'low lower lowest\r\nnewer newest wider ünder ünder\nlow low'

describe('llm tokenizer train from stdin', () => {
  it('trains the same tokenizer as from a file holding the same bytes', () => {
    const file = join(work, 'corpus.txt')
    writeFileSync(file, text)
    const a = runCli(['tokenizer', 'train', file, '--vocab-size', '280', '--min-frequency', '1', '--out', join(work, 'from-file.json'), '--json'])
    const b = runCli(['tokenizer', 'train', '--vocab-size', '280', '--min-frequency', '1', '--out', join(work, 'from-stdin.json'), '--json'], { input: text })
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(readFileSync(join(work, 'from-stdin.json'), 'utf8')).toBe(readFileSync(join(work, 'from-file.json'), 'utf8'))
    const j = JSON.parse(b.stdout) as { bytes: number; documents: number; merges: number }
    expect(j.bytes).toBe(Buffer.byteLength(text))
    expect(j.documents).toBe(1)
    expect(j.merges).toBeGreaterThan(0)
    // the staged copy of stdin is gone
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('llm-tokenizer-train-'))).toEqual([])
  })

  it('an empty stdin and no FILES is still a usage error', () => {
    const r = runCli(['tokenizer', 'train', '--vocab-size', '300', '--out', join(work, 'x.json')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no training files given .*pipe the text on stdin/)
  })
})
