import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers.js'

/** The error line of a failed run: exactly one line on stderr, in the documented shape. */
function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/)
  return lines[0]!
}

describe('oclif parse errors keep their reason on one line', () => {
  it('an out-of-range integer flag names the flag and the rule', () => {
    const r = runCli(['generate', '--top-k', '-1', 'hi'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r.stderr)).toBe('llm generate: error: --top-k: Expected an integer greater than or equal to 0 but received: -1 (hint: see --help)')
  })

  it('exclusive flags say which ones clash', () => {
    const r = runCli(['tokenize', '-e', 'cl100k_base', '--ids', '--count', 'hi'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r.stderr)).toMatch(/^llm tokenize: error: --count=true cannot also be provided when using --ids; .*\(hint: see --help\)$/)
  })

  it('missing required flags are listed', () => {
    const r = runCli(['finetune', 'merge'])
    expect(r.code).toBe(2)
    const line = oneErrorLine(r.stderr)
    for (const f of ['model', 'adapter', 'out']) expect(line).toContain(`Missing required flag ${f}`)
  })

  it('a missing argument is named', () => {
    const r = runCli(['convert'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r.stderr)).toBe('llm convert: error: Missing 1 required arg: src (checkpoint: a Hugging Face folder (--from hf) or a llama2.c .bin) (hint: see --help)')
  })
})

describe('unknown commands', () => {
  it('get the one-line error and exit 2', () => {
    const r = runCli(['nosuch'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r.stderr)).toBe("llm: error: unknown command 'nosuch' (hint: see llm --help)")
    const t = runCli(['models', 'nosuch'])
    expect(t.code).toBe(2)
    expect(oneErrorLine(t.stderr)).toBe("llm: error: unknown command 'models nosuch' (hint: see llm --help)")
  })

  it('an unknown flag before any command is called a flag', () => {
    const r = runCli(['--frobnicate'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r.stderr)).toBe("llm: error: unknown flag '--frobnicate' (hint: see llm --help)")
  })
})

describe('llm help', () => {
  it('llm help COMMAND is llm COMMAND --help; an unknown one is the one-line error', () => {
    const h = runCli(['help', 'models', 'pull'])
    expect(h.code).toBe(0)
    expect(h.stdout).toBe(runCli(['models', 'pull', '--help']).stdout)
    expect(h.stdout).toMatch(/EXAMPLES/)
    const u = runCli(['help', 'nosuch'])
    expect(u.code).toBe(2)
    expect(oneErrorLine(u.stderr)).toBe("llm: error: unknown command 'nosuch' (hint: see llm --help)")
  })
})

describe('llm --help', () => {
  it('lists every command, and topics with their own summary', () => {
    const r = runCli(['--help'])
    expect(r.code).toBe(0)
    for (const c of ['chat', 'convert', 'eval', 'generate', 'pretrain', 'tokenize', 'models', 'tokenizer']) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'))
    // a topic's line describes the topic, not its first command
    expect(r.stdout).toMatch(/^ {2}models +Manage the local model store/m)
    expect(r.stdout).not.toMatch(/^ {2}models +List the models/m)
  })
})
