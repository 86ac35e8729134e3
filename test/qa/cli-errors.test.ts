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
  it('a bad number flag names the flag and its range, in the same words on every command (cli/flags.ts)', () => {
    const cases: Array<[string[], string]> = [
      [['generate', '--top-k', '-1', 'hi'], "llm generate: error: --top-k: expected a whole number >= 0, got '-1'"],
      [['generate', '--top-p', '2', 'hi'], "llm generate: error: --top-p: expected a number in (0, 1], got '2'"],
      [['chat', '--temperature', 'warm'], "llm chat: error: --temperature: expected a number >= 0, got 'warm'"],
      [['eval', 'x.jsonl', '--batch-size', '1.5'], "llm eval: error: --batch-size: expected a whole number >= 1, got '1.5'"],
      [['pretrain', '--lr', '-1', '--data', 'x', '--out', 'y'], "llm pretrain: error: --lr: expected a number >= 0, got '-1'"],
      [['pretrain', '--beta1', '2', '--data', 'x', '--out', 'y'], "llm pretrain: error: --beta1: expected a number in [0, 1], got '2'"],
      [['tokenizer', 'train', '--vocab-size', 'many', '--out', 'x'], "llm tokenizer train: error: --vocab-size: expected a whole number >= 1, got 'many'"],
      [['generate', '--threads', '0', 'hi'], "llm generate: error: --threads: expected a whole number >= 1, got '0'"],
    ]
    for (const [args, line] of cases) {
      const r = runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(oneErrorLine(r.stderr)).toBe(`${line} (hint: see --help)`)
    }
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
