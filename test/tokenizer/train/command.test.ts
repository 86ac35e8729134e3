import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from 'tokenizers'
import { describe, expect, it } from 'vitest'
import { runCli as runCliRaw } from '../../helpers.js'

// `llm tokenizer train` as a user runs it (the built CLI: `npm test` builds first)
// vitest sets NODE_ENV=test, which sends oclif looking for TypeScript sources (warnings on stderr)
const runCli = (args: string[]) => runCliRaw(args, { env: { NODE_ENV: 'production' } })
const dir = mkdtempSync(join(tmpdir(), 'llm-tok-train-cli-'))
const text = join(dir, 'a.txt')
const jsonl = join(dir, 'b.jsonl')
writeFileSync(text, 'the cat sat on the mat. the cat ate the rat.\n'.repeat(40))
writeFileSync(jsonl, ['the dog sat', 'a dog and a cat'].map((t) => JSON.stringify({ text: t })).join('\n') + '\n')

describe('llm tokenizer train', () => {
  it('writes a tokenizer.json and prints a --json summary', async () => {
    const out = join(dir, 'out', 'tokenizer.json')
    const r = runCli(['tokenizer', 'train', text, jsonl, '--vocab-size', '270', '--special-tokens', '<|endoftext|>,<|pad|>', '--out', out, '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s).toMatchObject({ out, vocab_size: 270, special_tokens: ['<|endoftext|>', '<|pad|>'], documents: 3, pattern: 'gpt4', stopped_early: false })
    const hf = HfTokenizer.fromFile(out)
    expect(hf.tokenToId('<|pad|>')).toBe(269)
    const ids = (await hf.encode('the cat<|endoftext|>', null, { addSpecialTokens: false })).getIds()
    expect(ids.at(-1)).toBe(268)
    expect(await hf.decode(ids, true)).toBe('the cat')
  })

  it('says so when min frequency stops it early', () => {
    const out = join(dir, 'small.json')
    const r = runCli(['tokenizer', 'train', jsonl, '--vocab-size', '1000', '--min-frequency', '3', '--out', out])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^wrote .*small\.json: \d+ tokens/)
    expect(r.stderr).toMatch(/stopped at \d+ tokens/)
    expect(JSON.parse(readFileSync(out, 'utf8')).model.type).toBe('BPE')
  })

  it.each([
    [['tokenizer', 'train', join(dir, 'missing.txt'), '--vocab-size', '300', '--out', join(dir, 'x.json')], 1, /missing\.txt: cannot read file: no such file/],
    [['tokenizer', 'train', text, '--vocab-size', '257', '--special-tokens', 'a,b', '--out', join(dir, 'x.json')], 2, /--vocab-size: vocab size 257 is too small \(hint: need at least .* = 258\)/],
    [['tokenizer', 'train', '--vocab-size', '300', '--out', join(dir, 'x.json')], 2, /no training files given/],
    [['tokenizer', 'train', text, '--vocab-size', '300', '--out', join(dir, 'x.json'), '--pattern', '(a'], 2, /--pattern: cannot translate split regex/],
    [['tokenizer', 'train', text, '--vocab-size', '300', '--out', join(dir, 'x.json'), '--special-tokens', 'a,a'], 2, /listed twice/],
  ])('fails with one line: %j', (args, code, message) => {
    const r = runCli(args as string[])
    expect(r.code).toBe(code)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message as RegExp)
  })

  it('reports a bad JSONL line with its file and line number', () => {
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{"text": "ok"}\n{"txt": 1}\n')
    const r = runCli(['tokenizer', 'train', bad, '--vocab-size', '300', '--out', join(dir, 'y.json')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/bad\.jsonl: line 2 has no string "text" field/)
  })
})
