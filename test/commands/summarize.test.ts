/** `llm summarize`, `llm templates`, and -t/-p on generate and chat, as a user runs them (the built CLI). */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { needs, runCli, shared, SHARED } from '../helpers.js'
import { storiesOptimumFolder, tempDir } from '../core/model/fixtures.js'

const CHATML = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
const errorLine = (cmd: string, stderr: string): string => {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('no chat template'))
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(new RegExp(`^llm ${cmd}: error: `))
  return lines[0]!
}
const DOC = [
  'The city council approved a new budget for public transport on Monday.',
  'The budget adds twelve electric buses and extends the night service on three routes.',
  'Council members argued for hours about the cost of the electric buses.',
  'A local bakery also celebrated its fiftieth anniversary this week.',
  'The transport budget will be reviewed again next spring.',
].join(' ') + '\n'

describe('llm summarize with the bundled model (no chat template: extractive)', () => {
  it('summarizes stdin extractively, says why on stderr, sentences verbatim', () => {
    const r = runCli(['summarize', '--sentences', '2'], { input: DOC })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/no chat template \(not instruction-tuned\): summarizing extractively/)
    const out = r.stdout.trim()
    expect(out.length).toBeGreaterThan(0)
    for (const s of out.split(/(?<=\.) /)) expect(DOC).toContain(s)
  })

  it('--json has the documented fields; bullets are one sentence per line', () => {
    const dir = tempDir('llm-sum-')
    const f = join(dir, 'doc.txt')
    writeFileSync(f, DOC)
    const r = runCli(['summarize', f, '--json', '--format', 'bullets', '--method', 'extractive'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as Record<string, unknown>
    for (const k of ['summary', 'method', 'strategy', 'chunks', 'levels', 'calls', 'max_prompt_tokens', 'context_length', 'truncated', 'timings']) expect(j).toHaveProperty(k)
    expect(j).toMatchObject({ method: 'extractive', calls: 0, truncated: false, context_length: 256 })
    expect((j.summary as string).split('\n').every((l) => l.startsWith('- '))).toBe(true)
  })

  it('bad input: empty (exit 2), binary, not UTF-8, a missing file', () => {
    let r = runCli(['summarize'], { input: '' })
    expect(r.code).toBe(2)
    expect(errorLine('summarize', r.stderr)).toBe('llm summarize: error: stdin: the input is empty (hint: pipe a document on stdin or name a text file)')
    r = runCli(['summarize'], { input: ' \n\t\n' })
    expect(r.code).toBe(2)
    r = runCli(['summarize'], { input: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) })
    expect(r.code).toBe(2)
    expect(errorLine('summarize', r.stderr)).toMatch(/stdin: this looks like binary data \(a NUL byte at offset 8\)/)
    r = runCli(['summarize'], { input: Buffer.from('caf\xe9 cr\xe8me', 'latin1') })
    expect(r.code).toBe(2)
    expect(errorLine('summarize', r.stderr)).toMatch(/not UTF-8 text/)
    r = runCli(['summarize', '/nonexistent/file.txt'])
    expect(r.code).toBe(1)
    expect(errorLine('summarize', r.stderr)).toMatch(/\/nonexistent\/file\.txt: cannot read file: no such file/)
  })
})

needs(SHARED).describe('llm summarize / generate / chat with a 512-token chat model (stories260K + ChatML)', () => {
  let chat: string
  let doc: string
  beforeAll(() => {
    chat = storiesOptimumFolder()
    writeFileSync(join(chat, 'tokenizer_config.json'), JSON.stringify({ chat_template: CHATML }))
    doc = readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8').slice(0, 2500)
  })

  it('--progress jsonl: one progress event per chunk on stderr, the summary on stdout', () => {
    const r = runCli(['summarize', '-m', chat, '--max-words', '8', '--seed', '1', '--progress', 'jsonl', '--json'], { input: doc })
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { chunks: number; calls: number; max_prompt_tokens: number; max_output_tokens: number; method: string; truncated: boolean }
    expect(j.method).toBe('abstractive')
    expect(j.chunks).toBeGreaterThan(1)
    expect(j.max_prompt_tokens + j.max_output_tokens).toBeLessThanOrEqual(512)
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string; label: string; done?: number; total: number })
    const map = events.filter((e) => e.event === 'progress' && e.label === 'summarize map')
    expect(map.map((e) => e.done)).toEqual(Array.from({ length: j.chunks }, (_, i) => i + 1))
    expect(events.filter((e) => e.event === 'progress')).toHaveLength(j.calls)
  })

  it('--strategy stuff on a document larger than one call: exit 2, never truncated', () => {
    const r = runCli(['summarize', '-m', chat, '--strategy', 'stuff', '--max-words', '8'], { input: doc })
    expect(r.code).toBe(2)
    expect(errorLine('summarize', r.stderr)).toMatch(/--strategy stuff: the document is \d+ tokens, more than one call holds \(\d+\)/)
  })

  it('a template with an unknown variable, an unknown -p, a missing template', () => {
    const dir = tempDir('llm-sum-tpl-')
    const f = join(dir, 'mine.yaml')
    writeFileSync(f, 'prompt: "Summarize for {{audience}}:\\n{{input}}"\n')
    let r = runCli(['summarize', '-m', chat, '-t', f, '--max-words', '8'], { input: 'Some text. More text.' })
    expect(r.code).not.toBe(0)
    expect(errorLine('summarize', r.stderr)).toMatch(new RegExp(`${f}: unknown template variable '\\{\\{audience\\}\\}'`))
    r = runCli(['summarize', '-m', chat, '-p', 'audience', 'kids', '--max-words', '8'], { input: 'Some text. More text.' })
    expect(r.code).toBe(2)
    expect(errorLine('summarize', r.stderr)).toMatch(/-p audience: unknown template variable 'audience' for template 'summarize'/)
    r = runCli(['summarize', '-m', chat, '-t', 'nosuch'], { input: 'x' })
    expect(r.code).toBe(2)
    expect(errorLine('summarize', r.stderr)).toMatch(/-t: unknown template 'nosuch'/)
  })

  it('generate -t translate -p target French; chat -t one answer per line', () => {
    let r = runCli(['generate', '-m', chat, '-t', 'translate', '-p', 'target', 'French', '-n', '5', '--seed', '1', '--json'], { input: 'A cat.' })
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as { text: string }).text.length).toBeGreaterThan(0)
    r = runCli(['generate', '-m', chat, '-p', 'target', 'French', '-n', '5'], { input: 'A cat.' })
    expect(r.code).toBe(2)
    expect(errorLine('generate', r.stderr)).toMatch(/-p: -p sets template variables: give a template with -t/)
    r = runCli(['generate', '-m', chat, '-t', 'classify', '-n', '5'], { input: 'A cat.' })
    expect(r.code).toBe(2)
    expect(errorLine('generate', r.stderr)).toMatch(/template 'classify' needs a value for 'labels' \(hint: pass -p labels VALUE\)/)
    r = runCli(['chat', '-m', chat, '-t', 'translate', '-p', 'target=Spanish', '-n', '6', '--seed', '1'], { input: 'Hello\nGood night\n' })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(2)
  })
})

describe('llm templates', () => {
  it('list shows the built-ins; show prints YAML; an unknown name is exit 2', () => {
    const env = { LLM_TEMPLATES: tempDir('llm-tpl-empty-') }
    let r = runCli(['templates', 'list', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as { templates: { name: string }[] }).templates.map((t) => t.name)).toEqual(['classify', 'summarize', 'translate'])
    r = runCli(['templates', 'show', 'translate'], { env })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^name: translate\n/)
    expect(r.stdout).toContain('{{input}}')
    r = runCli(['templates', 'show', 'nope'], { env })
    expect(r.code).toBe(2)
    expect(errorLine('templates show', r.stderr)).toMatch(/unknown template 'nope'/)
  })
})
