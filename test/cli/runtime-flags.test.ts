/**
 * Every command that takes --dtype and --adapter acts on them (they were once accepted and
 * ignored by some): asking for an ONNX file the folder lacks, or an adapter that is not there,
 * fails on one line naming it. Commands that only embed do not take them at all.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot, runCli } from '../helpers.js'

const model = join(repoRoot, 'models/default')
const missing = join(repoRoot, 'no-such-adapter')
const oneLine = (r: { code: number; stderr: string }, code: number, re: RegExp): void => {
  expect(r.code, r.stderr).toBe(code)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  expect(r.stderr).toMatch(re)
}

const COMMANDS: [string, string[]][] = [
  ['generate', ['generate', '-m', model, '-n', '1', 'x']],
  ['chat', ['chat', '-m', model]],
  ['classify', ['classify', '-m', model, '--labels', 'a,b', 'x']],
  ['translate', ['translate', '-m', join(repoRoot, 'models/translate-en-fr'), 'x']],
  ['serve', ['serve', '-m', model, '--port', '0']],
]

describe('--dtype and --adapter are honoured where accepted', () => {
  it.each(COMMANDS)('%s --dtype q4: the missing file is named', (_, args) => {
    oneLine(runCli([...args, '--dtype', 'q4'], { input: 'Some text. More text.\n' }), 1, /no q4 ONNX model in this folder \(looked for onnx\/model_q4\.onnx\)/)
  })

  it.each(COMMANDS)('%s --adapter MISSING: the adapter is named', (_, args) => {
    oneLine(runCli([...args, '--adapter', missing], { input: 'Some text. More text.\n' }), 1, /no-such-adapter/)
  })

  it('summarize --method extractive runs no model, and says that --adapter and --dtype do nothing there', () => {
    const r = runCli(['summarize', '-m', model, '--method', 'extractive', '--adapter', missing, '--dtype', 'q4'], { input: 'Some text. More text.\n' })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/--adapter and --dtype are ignored by an extractive summary/)
  })

  it.each(['embed', 'cluster', 'index add'])('%s does not take --adapter', (cmd) => {
    oneLine(runCli([...cmd.split(' '), '--adapter', missing, 'x']), 2, /Nonexistent flag: --adapter/)
  })
})
