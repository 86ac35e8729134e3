import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { mkdirs, writeFileAtomic } from '../../src/core/atomic.js'
import { LlmError } from '../../src/core/errors.js'
import { needs, runCli, SHARED, shared } from '../helpers.js'
import { storiesOptimumFolder } from '../core/model/fixtures.js'

/**
 * Output paths that cannot be written. /proc/x used to hang the command at 100% CPU: Node's
 * recursive mkdir loops forever where mkdir says ENOENT under an existing folder.
 */
const work = mkdtempSync(join(tmpdir(), 'llm-qa-out-'))
const corpus = join(work, 'corpus.txt')
writeFileSync(corpus, 'hello world hello world\n')
const aFile = join(work, 'a-file')
writeFileSync(aFile, 'x')

function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '')
  expect(lines, stderr).toHaveLength(1)
  return lines[0]!
}

describe('mkdirs / writeFileAtomic', () => {
  it.skipIf(process.platform !== 'linux')('fail instead of looping under /proc', () => {
    expect(() => mkdirs('/proc/llm-qa/x')).toThrow(/ENOENT/)
    expect(() => writeFileAtomic('/proc/llm-qa/x/y.json', '{}')).toThrow(LlmError)
  })

  it('name the file and say a folder on the path is a file', () => {
    let err: unknown
    try { writeFileAtomic(join(aFile, 'sub', 'x.json'), '{}') } catch (e) { err = e }
    expect(err).toBeInstanceOf(LlmError)
    expect((err as LlmError).oneLine()).toBe(`${join(aFile, 'sub', 'x.json')}: cannot write file: not a directory (a folder on its path is a file)`)
  })

  it('create missing parents and leave no temp file behind on failure', () => {
    writeFileAtomic(join(work, 'p', 'q', 'r.json'), '{}')
    expect(readdirSync(join(work, 'p', 'q'))).toEqual(['r.json'])
    expect(() => writeFileAtomic(join(work, 'p'), 'x')).toThrow(/is a directory/)
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('commands with an unwritable output path', () => {
  it.skipIf(process.platform !== 'linux')('tokenizer train --out /proc/x/tok.json: one line naming it, exit 1, no hang', () => {
    const r = runCli(['tokenizer', 'train', corpus, '--vocab-size', '260', '--min-frequency', '1', '--out', '/proc/x/tok.json'], { timeoutMs: 20_000 })
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toBe('llm tokenizer train: error: /proc/x/tok.json: cannot write file: no such file or directory')
  })

  ;(process.platform === 'linux' ? needs(SHARED).it : it.skip)('convert --out /proc/x: one line naming it, exit 1, no hang', () => {
    const r = runCli(['convert', shared('models/stories260K/stories260K.bin'), '--from', 'llama2c', '--tokenizer', shared('models/stories260K/tok512.model'), '--out', '/proc/x'], { timeoutMs: 20_000 })
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toMatch(/^llm convert: error: \/proc\/x: cannot write model folder: /)
  })

  needs(SHARED).it('eval --output under a file: names the output file', () => {
    const data = join(work, 'ppl.txt')
    writeFileSync(data, 'Once upon a time there was a cat.\n')
    const r = runCli(['eval', data, '-m', storiesOptimumFolder(), '--output', join(aFile, 'r.json')], { timeoutMs: 60_000 })
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toBe(`llm eval: error: ${join(aFile, 'r.json')}: cannot write file: not a directory (a folder on its path is a file)`)
  })
})

