import { describe, expect, it } from 'vitest'
import { get_encoding } from 'tiktoken'
import { Tokenizer as RustTokenizer } from 'tokenizers'
import { needs, runCli, SHARED, shared } from '../helpers.js'

// References: the official Rust cores (tiktoken WASM, Hugging Face tokenizers binding).
const cl100k = get_encoding('cl100k_base')
const refIds = (text: string) => Array.from(cl100k.encode(text, [], []))

describe('llm tokenize', () => {
  it('prints ids equal to tiktoken for an argument', () => {
    const text = 'Hello, world! I\'M   here \u{1F468}\u200D\u{1F469}\u200D\u{1F467} 12345678'
    const r = runCli(['tokenize', '--encoding', 'cl100k_base', '--ids', text])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(refIds(text))
  })

  it('reads piped stdin verbatim, trailing newline included', () => {
    const text = 'a b\nc  \n'
    const r = runCli(['tokenize', '--encoding', 'cl100k_base', '--json'], { input: text })
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.ids).toEqual(refIds(text))
    expect(out.count).toBe(out.ids.length)
    expect(out.tokens.length).toBe(out.ids.length)
  })

  it('--count prints the integer', () => {
    const r = runCli(['tokenize', '-e', 'o200k_base', '--count', 'The quick brown fox'])
    expect(r.stdout.trim()).toBe(String(get_encoding('o200k_base').encode('The quick brown fox').length))
  })

  it('does not turn special-token text into control tokens unless --special', () => {
    const safe = JSON.parse(runCli(['tokenize', '-e', 'cl100k_base', '--ids', 'x<|endoftext|>']).stdout)
    expect(safe).toEqual(refIds('x<|endoftext|>'))
    expect(safe).not.toContain(100257)
    const special = JSON.parse(runCli(['tokenize', '-e', 'cl100k_base', '--ids', '--special', 'x<|endoftext|>']).stdout)
    expect(special).toEqual(Array.from(cl100k.encode('x<|endoftext|>', 'all')))
    expect(special).toContain(100257)
  })

  it('--decode round-trips through a pipe', () => {
    const text = 'Ünïcödé ✓ 漢字 مرحبا\n'
    const ids = runCli(['tokenize', '-e', 'cl100k_base', '--ids'], { input: text }).stdout
    const r = runCli(['tokenize', '-e', 'cl100k_base', '--decode'], { input: ids })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(text)
  })

  needs(SHARED).it('matches Hugging Face tokenizers on a tokenizer.json, with and without --add-special ', async () => {
    const file = shared('models/ortgenai-tiny-random-llama-fp16/tokenizer.json')
    const ref = RustTokenizer.fromFile(file)
    const text = 'Hello  world, héllo 😀'
    for (const add of [false, true]) {
      const enc = await ref.encode(text, null, { addSpecialTokens: add })
      const r = runCli(['tokenize', '--tokenizer', file, '--ids', ...(add ? ['--add-special'] : []), text])
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual(enc.getIds())
    }
  })

  needs(SHARED).it('reads a SentencePiece .model and a model folder', () => {
    const r = runCli(['tokenize', '--tokenizer', shared('models/stories260K/tok512.model'), '--count', 'Once upon a time'])
    expect(r.code).toBe(0)
    expect(Number(r.stdout)).toBeGreaterThan(0)
    const folder = runCli(['tokenize', '--tokenizer', shared('models/ortgenai-tiny-random-gpt2-fp32'), '--ids', 'hi there'])
    expect(folder.code).toBe(0)
  })

  it('streams piped stdin for --count and --ids: ids equal tiktoken on the whole text (BOM kept, specials too)', () => {
    // several 64K-character parts, with CRLF, CJK, emoji and special-token text across them
    const unit = '\uFEFFWord after word, line\r\nafter line; 日本語 テキスト 😀👩‍👩‍👧 <|endoftext|> 12345678 \t x\n\nNext'
    const text = '\uFEFF' + Array.from({ length: 4000 }, (_, i) => `${unit} ${i}`).join(' ')
    for (const special of [false, true]) {
      const want = special ? Array.from(cl100k.encode(text, 'all')) : refIds(text)
      const flags = special ? ['--special'] : []
      const ids = runCli(['tokenize', '-e', 'cl100k_base', '--ids', ...flags], { input: text })
      expect(ids.code).toBe(0)
      expect(JSON.parse(ids.stdout)).toEqual(want)
      expect(runCli(['tokenize', '-e', 'cl100k_base', '--count', ...flags], { input: text }).stdout).toBe(`${want.length}\n`)
    }
  })

  it('caches the compiled encoding under $LLM_HOME and ignores a damaged cache file', async () => {
    const { existsSync, mkdtempSync, writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const home = mkdtempSync(join(tmpdir(), 'llm-home-'))
    const file = join(home, 'cache/tiktoken/r50k_base.bin')
    const text = 'cache me if you can'
    const want = Array.from(get_encoding('r50k_base').encode(text, [], []))
    const run = () => JSON.parse(runCli(['tokenize', '-e', 'r50k_base', '--ids', text], { env: { LLM_HOME: home, LLM_TOKENIZER_CACHE: '1' } }).stdout)
    expect(run()).toEqual(want)
    expect(existsSync(file)).toBe(true)
    expect(run()).toEqual(want) // from the cache
    writeFileSync(file, 'garbage')
    expect(run()).toEqual(want) // rebuilt
  })

  describe('bad input: one line, non-zero exit', () => {
    const oneLine = (s: string) => s.trim().split('\n').length === 1
    it('unknown encoding → usage error listing the names', () => {
      const r = runCli(['tokenize', '-e', 'nope_base', 'hi'])
      expect(r.code).toBe(2)
      expect(oneLine(r.stderr)).toBe(true)
      expect(r.stderr).toMatch(/unknown encoding 'nope_base'.*cl100k_base/)
    })
    it('missing tokenizer file names the file', () => {
      const r = runCli(['tokenize', '--tokenizer', '/nonexistent/tokenizer.json', 'hi'])
      expect(r.code).toBe(1)
      expect(oneLine(r.stderr)).toBe(true)
      expect(r.stderr).toContain('/nonexistent/tokenizer.json')
    })
    it('corrupt tokenizer.json names the file', async () => {
      const { mkdtempSync, writeFileSync } = await import('node:fs')
      const { join } = await import('node:path')
      const { tmpdir } = await import('node:os')
      const f = join(mkdtempSync(join(tmpdir(), 'llm-tok-')), 'tokenizer.json')
      writeFileSync(f, '{"model": {"type": "BPE", "vocab": ')
      const r = runCli(['tokenize', '--tokenizer', f, 'hi'])
      expect(r.code).toBe(1)
      expect(oneLine(r.stderr)).toBe(true)
      expect(r.stderr).toContain(f)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    })
    it('non-JSON for --decode', () => {
      const r = runCli(['tokenize', '-e', 'cl100k_base', '--decode'], { input: 'hello' })
      expect(r.code).toBe(1)
      expect(oneLine(r.stderr)).toBe(true)
      expect(r.stderr).toMatch(/JSON array/)
    })
    it('id out of range for --decode', () => {
      const r = runCli(['tokenize', '-e', 'cl100k_base', '--decode', '[1, 99999999]'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/99999999.*out of range/)
    })
    it('no tokenizer given', () => {
      const r = runCli(['tokenize', 'hi'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/--tokenizer/)
    })
    it('unknown flag is a usage error', () => {
      const r = runCli(['tokenize', '--bogus', 'hi'])
      expect(r.code).toBe(2)
      expect(oneLine(r.stderr)).toBe(true)
    })
  })
})
