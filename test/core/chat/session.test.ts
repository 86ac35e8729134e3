import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalGenerator, type ChatMessage, type Generator, type Prompt } from '../../../src/core/generate/index.js'
import { ChatSession, type ChatEngine } from '../../../src/core/chat/session.js'
import { escapeLine, runPlainChat, unescapeLine } from '../../../src/core/chat/plain.js'
import { parseSlash, unescapeSlash } from '../../../src/core/chat/slash.js'
import { loadTranscript, saveTranscript } from '../../../src/core/chat/transcript.js'
import { needs, SHARED, shared } from '../../helpers.js'
import { storiesOptimumFolder } from '../model/fixtures.js'

const greedy = { temperature: 0 }

/** the real generator, recording each prompt the session hands it (observation only, no stubbing) */
function recording(gen: Generator): { engine: ChatEngine; prompts: Prompt[] } {
  const prompts: Prompt[] = []
  return {
    prompts,
    engine: { info: gen.info, encode: (p) => gen.encode(p), generate: (p, o) => (prompts.push(p), gen.generate(p, o)) },
  }
}

needs(SHARED).describe('ChatSession on a model with a chat template (tiny random Llama, fp16)', () => {
  let gen: LocalGenerator
  beforeAll(async () => { gen = await LocalGenerator.open(shared('models/ortgenai-tiny-random-llama-fp16')) })
  afterAll(async () => { await gen.close() })

  it('each turn is the whole conversation through the template: equal to a one-shot generate of it', async () => {
    const s = new ChatSession(gen, { system: 'Be brief.', maxTokens: 10, sampling: greedy })
    const t1 = await s.send('Hello there')
    const t2 = await s.send('And then?')
    const sys: ChatMessage = { role: 'system', content: 'Be brief.' }
    const u1: ChatMessage = { role: 'user', content: 'Hello there' }
    const r1 = await gen.generate({ messages: [sys, u1] }, { maxTokens: 10, sampling: greedy })
    const r2 = await gen.generate({ messages: [sys, u1, { role: 'assistant', content: r1.text }, { role: 'user', content: 'And then?' }] }, { maxTokens: 10, sampling: greedy })
    expect(t1.text).toBe(r1.text)
    expect(t2.text).toBe(r2.text)
    expect(t2.tokens).toBe(r2.ids.length)
    expect(t2.contextUsed).toBe(r2.prompt_ids.length + r2.ids.length)
    expect(t2.contextMax).toBe(2048)
    expect(s.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant'])
    expect(s.turns).toBe(2)
  })
})

needs(SHARED).describe('ChatSession on a base model without a template (stories260K)', () => {
  let gen: LocalGenerator
  let small: LocalGenerator
  let dir: string
  beforeAll(async () => {
    gen = await LocalGenerator.open(storiesOptimumFolder())
    small = await LocalGenerator.open(storiesOptimumFolder({ config: { max_position_embeddings: 64 } }))
    dir = mkdtempSync(join(tmpdir(), 'llm-chat-'))
  })
  afterAll(async () => {
    await gen.close()
    await small.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('uses a User:/Assistant: transcript, stops before the next "User:", strips the leading space', async () => {
    const { engine, prompts } = recording(gen)
    const s = new ChatSession(engine, { system: 'A story.', maxTokens: 30, sampling: greedy })
    const t1 = await s.send('Once upon a time')
    const t2 = await s.send('Tell me more')
    expect(prompts[0]).toBe('A story.\n\nUser: Once upon a time\nAssistant:')
    expect(prompts[1]).toBe(`A story.\n\nUser: Once upon a time\nAssistant: ${t1.text}\nUser: Tell me more\nAssistant:`)
    const raw = await gen.generate(prompts[0]!, { maxTokens: 30, sampling: greedy, stop: ['\nUser:'] })
    expect(t1.text).toBe(raw.text.trim())
    expect(t1.text).not.toMatch(/^\s/)
    expect(t2.text).not.toContain('\nUser:')
  })

  it('leaves the oldest exchanges out when the context fills, keeping the system prompt', async () => {
    const { engine, prompts } = recording(small) // context 64
    const s = new ChatSession(engine, { system: 'Sys.', maxTokens: 8, sampling: greedy })
    let dropped = 0
    for (const q of ['Once upon a time there was a dog', 'The dog liked to play in the park', 'One day it rained', 'The end']) {
      const r = await s.send(q)
      dropped = Math.max(dropped, r.dropped)
      expect(r.contextUsed).toBeLessThanOrEqual(64)
    }
    expect(dropped).toBeGreaterThan(0)
    const last = prompts.at(-1) as string
    expect(last.startsWith('Sys.\n\nUser: ')).toBe(true)
    expect(last).not.toContain('there was a dog') // the first exchange is gone
    expect(last.endsWith('User: The end\nAssistant:')).toBe(true)
    expect((await small.encode(last)).length + 8).toBeLessThanOrEqual(64)
    expect(s.messages).toHaveLength(9) // the history itself keeps everything (it is what /save writes)
  })

  it('with --seed, turn k samples with seed+k (a replayed conversation repeats)', async () => {
    const sampling = { temperature: 1, seed: 7 }
    const a = new ChatSession(gen, { maxTokens: 12, sampling })
    const a1 = await a.send('Hi')
    const a2 = await a.send('Go on')
    const r1 = await gen.generate('User: Hi\nAssistant:', { maxTokens: 12, sampling: { temperature: 1, seed: 7 }, stop: ['\nUser:'] })
    const r2 = await gen.generate(`User: Hi\nAssistant: ${a1.text}\nUser: Go on\nAssistant:`, { maxTokens: 12, sampling: { temperature: 1, seed: 8 }, stop: ['\nUser:'] })
    expect(a1.text).toBe(r1.text.trim())
    expect(a2.text).toBe(r2.text.trim())
  })

  it('an aborted answer keeps what was generated; a failed turn leaves the history as it was', async () => {
    const s = new ChatSession(gen, { maxTokens: 50, sampling: greedy })
    const signal = { aborted: false }
    let shown = ''
    const r = await s.send('Once upon a time', { signal, onText: (t) => { shown += t; if (shown.length > 5) signal.aborted = true } })
    expect(r.finishReason).toBe('abort')
    expect(r.text).toBe(shown.trim())
    expect(s.messages.at(-1)).toEqual({ role: 'assistant', content: shown.trim() })
    const bad = new ChatSession(gen, { maxTokens: 1.5, sampling: greedy })
    await expect(bad.send('x')).rejects.toThrow(/max tokens must be a non-negative integer/)
    expect(bad.messages).toEqual([])
  })

  it('/save writes the conversation atomically; /load reads it back (and bare message arrays)', async () => {
    const s = new ChatSession(gen, { system: 'Sys', maxTokens: 5, sampling: greedy })
    await s.send('Hi')
    const file = join(dir, 'conv.json')
    s.save(file)
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { format: string; version: number; messages: ChatMessage[] }
    expect(saved.format).toBe('llm-chat')
    expect(saved.version).toBe(1)
    expect(saved.messages).toEqual(s.messages)
    const t = new ChatSession(gen, { maxTokens: 5, sampling: greedy })
    t.load(file)
    expect(t.messages).toEqual(s.messages)
    expect(t.system).toBe('Sys')
    writeFileSync(join(dir, 'bare.json'), JSON.stringify([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }]))
    t.load(join(dir, 'bare.json'))
    expect(t.messages).toEqual([{ role: 'system', content: 'Sys' }, { role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }])
  })

  it('plain mode: one stdout line per input line, escaped; JSON Lines with --json', async () => {
    const out: string[] = []
    const s = new ChatSession(gen, { maxTokens: 40, sampling: greedy })
    async function* lines() { yield 'Once upon a time'; yield ''; yield 'The cat\r' }
    expect(await runPlainChat(s, lines(), { json: false, write: (x) => out.push(x) })).toBe(2)
    const text = out.join('')
    expect(text.endsWith('\n')).toBe(true)
    const got = text.slice(0, -1).split('\n')
    expect(got).toHaveLength(3)
    expect(got[1]).toBe('')
    expect(unescapeLine(got[0]!)).toBe(s.messages[1]!.content)
    expect(unescapeLine(got[2]!)).toBe(s.messages[3]!.content)
    expect(s.messages[2]!.content).toBe('The cat') // a CR before LF is not part of the message

    const js: string[] = []
    const s2 = new ChatSession(gen, { maxTokens: 40, sampling: greedy })
    async function* two() { yield 'Once upon a time'; yield '' }
    await runPlainChat(s2, two(), { json: true, write: (x) => js.push(x) })
    const objs = js.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(objs[0]).toMatchObject({ prompt: 'Once upon a time', answer: s2.messages[1]!.content, context_max: 512, dropped: 0 })
    expect(objs[0]!.tokens).toBeGreaterThan(0)
    expect(objs[1]).toMatchObject({ prompt: '', answer: '', finish_reason: null })
  })
})

describe('chat helpers without a model', () => {
  it('escapes answers onto one line, reversibly', () => {
    for (const s of ['a\nb', 'back\\slash\\n', 'cr\r\n', '\\\\\n\n', 'plain']) {
      expect(escapeLine(s)).not.toMatch(/[\n\r]/)
      expect(unescapeLine(escapeLine(s))).toBe(s)
    }
    expect(escapeLine('a\nb\\c')).toBe('a\\nb\\\\c')
  })

  it('parses slash commands; "//" escapes a leading slash', () => {
    expect(parseSlash('/system You are terse.')).toEqual({ kind: 'system', text: 'You are terse.' })
    expect(parseSlash('/system')).toEqual({ kind: 'system', text: '' })
    expect(parseSlash('/save  my chat.json ')).toEqual({ kind: 'save', file: 'my chat.json' })
    expect(parseSlash('/load')).toEqual({ kind: 'error', message: '/load needs a FILE' })
    expect(parseSlash('/QUIT')).toEqual({ kind: 'exit' })
    expect(parseSlash('/frobnicate')).toMatchObject({ kind: 'error' })
    expect(parseSlash('hello /clear')).toBeUndefined()
    expect(parseSlash('//clear')).toBeUndefined()
    expect(parseSlash('/ path')).toBeUndefined()
    expect(unescapeSlash('//clear')).toBe('/clear')
  })

  it('refuses chat files that are not conversations, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-chat-'))
    try {
      const w = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name))
      expect(() => loadTranscript(w('a.json', '{nope'))).toThrow(/not valid JSON/)
      expect(() => loadTranscript(w('b.json', '{"format":"llm-chat","version":2,"messages":[]}'))).toThrow(/unsupported chat file version 2/)
      expect(() => loadTranscript(w('c.json', '[{"role":"robot","content":"x"}]'))).toThrow(/message 0 is not/)
      expect(() => loadTranscript(w('d.json', '{"messages":[]}'))).toThrow(/not an llm chat file/)
      expect(() => loadTranscript(join(dir, 'missing.json'))).toThrow(/no such file/)
      saveTranscript(join(dir, 'sub', 'x.json'), [{ role: 'user', content: 'é😀' }])
      expect(loadTranscript(join(dir, 'sub', 'x.json'))).toEqual([{ role: 'user', content: 'é😀' }])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
