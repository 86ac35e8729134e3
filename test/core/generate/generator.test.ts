import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Detokenizer, fitPrompt, greedyBatch, LocalGenerator, openGenerator, type Generator } from '../../../src/core/generate/index.js'
import { loadTokenizer } from '../../../src/tokenizer/load.js'
import { LlmError } from '../../../src/core/errors.js'
import { needs, SHARED, shared } from '../../helpers.js'
import { overlayFolder, storiesOptimumFolder, tempDir } from '../model/fixtures.js'

const GPT2 = shared('models/ortgenai-tiny-random-gpt2-fp32')
const LLAMA16 = shared('models/ortgenai-tiny-random-llama-fp16')
const greedy = { temperature: 0 }

needs(SHARED).describe('streaming a real byte-fallback tokenizer (Llama, 32000)', () => {
  it('emoji split over <0xF0><0x9F><0x98><0x80> tokens stream whole, matching a full decode', () => {
    const tok = loadTokenizer(`${LLAMA16}/tokenizer.json`)
    const text = 'Hi 😀 there 🎉! é ü 中文'
    const ids = tok.encode(text, { addSpecialTokens: true })
    expect(ids.map((i) => tok.idToToken(i))).toContain('<0xF0>') // the premise: byte fallback is used
    const d = new Detokenizer(tok, ids.slice(0, 1)) // context: BOS
    const chunks = ids.slice(1).map((id) => d.push(id))
    chunks.push(d.flush())
    for (const c of chunks) expect(c).not.toContain('\uFFFD')
    expect(chunks.join('')).toBe(tok.decode(ids, { skipSpecialTokens: true }))
    expect(chunks).toContain('😀')
  })
})

needs(SHARED).describe('stories260K (Optimum layout from the shared ONNX) through the generator', () => {
  let gen: LocalGenerator
  beforeAll(async () => { gen = await LocalGenerator.open(storiesOptimumFolder()) })
  afterAll(async () => { await gen.close() })

  it('greedy from "" reproduces llama2.c token for token and char for char, streaming', async () => {
    const golden = JSON.parse(readFileSync(shared('models/stories260K/golden_greedy_200.json'), 'utf8')) as { expected_text: string; greedy_token_ids_including_bos: number[] }
    const pieces: string[] = []
    const r = await gen.generate('', { maxTokens: 200, sampling: greedy, onText: (t) => pieces.push(t) })
    expect(r.prompt_ids).toEqual([1])
    expect(r.ids).toEqual(golden.greedy_token_ids_including_bos.slice(1))
    expect(r.text).toBe(golden.expected_text)
    expect(pieces.join('')).toBe(r.text)
    expect(pieces.length).toBeGreaterThan(100) // streamed, not one lump at the end
    expect(r.finish_reason).toBe('length')
    expect(r.timings.decode_tokens_per_second).toBeGreaterThan(0)
  })

  it('a stop string spanning tokens ends the text before it', async () => {
    const full = await gen.generate('', { maxTokens: 60, sampling: greedy })
    const stop = 'little girl' // "▁little" "▁girl": two tokens
    const r = await gen.generate('', { maxTokens: 60, sampling: greedy, stop: ['NEVER', stop] })
    expect(r.finish_reason).toBe('stop')
    expect(r.text).toBe(full.text.slice(0, full.text.indexOf(stop)))
    expect(r.text).not.toContain('little')
  })

  it('EOS from generation_config.json (an array) ends generation', async () => {
    const g = await LocalGenerator.open(storiesOptimumFolder({ generationConfig: { eos_token_id: [2, 261] } })) // 261 = "▁a"
    try {
      expect(g.info.eosTokenIds).toEqual([2, 261])
      const r = await g.generate('', { maxTokens: 50, sampling: greedy })
      expect(r.finish_reason).toBe('eos')
      expect(r.ids).toEqual([403, 407, 261])
      expect(r.text).toBe('Once upon')
    } finally {
      await g.close()
    }
  })

  it('generation_config.json supplies max_new_tokens and greedy (do_sample false) when not given', async () => {
    const g = await LocalGenerator.open(storiesOptimumFolder({ generationConfig: { max_new_tokens: 7, do_sample: false } }))
    try {
      const r = await g.generate('')
      expect(r.ids).toHaveLength(7)
      expect(r.finish_reason).toBe('length')
      expect(r.text).toBe('Once upon a time, there was')
    } finally {
      await g.close()
    }
  })

  it('the same seed samples the same tokens; another seed others', async () => {
    const s = (seed: number) => gen.generate('Once upon a time', { maxTokens: 40, sampling: { temperature: 1, topK: 0, topP: 1, minP: 0, seed } })
    const a = await s(42), b = await s(42), c = await s(7)
    expect(a.ids).toEqual(b.ids)
    expect(a.text).toBe(b.text)
    expect(c.ids).not.toEqual(a.ids)
    expect(a.seed).toBe(42)
  })

  it('prompt over the context: an error with the numbers, or truncation keeping BOS and the end', async () => {
    const long = { ids: [1, ...new Array<number>(600).fill(403)] }
    await expect(gen.generate(long, { maxTokens: 5 })).rejects.toThrow(/prompt is 601 tokens but the model's context is 512/)
    const r = await gen.generate(long, { maxTokens: 5, sampling: greedy, onOverflow: 'truncate' })
    expect(r.prompt_ids.length).toBe(512 - 5)
    expect(r.prompt_ids[0]).toBe(1)
    expect(r.ids.length).toBe(5)
    expect(fitPrompt([1, 2, 3, 4], 4, 100, 'truncate', 1)).toEqual([1, 4]) // room for 4/2 new tokens
  })

  it('ends with finish_reason length at the context limit', async () => {
    const r = await gen.generate({ ids: [1, ...new Array<number>(505).fill(403)] }, { maxTokens: 100, sampling: greedy })
    expect(r.prompt_ids.length + r.ids.length).toBe(512)
    expect(r.finish_reason).toBe('length')
  })
})

needs(SHARED).describe('onnxruntime-genai folders through the generator', () => {
  it('GPT-2 genai: greedy generation equals the batched decoder run on the same ids', async () => {
    const gen = await LocalGenerator.open(GPT2)
    try {
      expect(gen.info.eosTokenIds).toEqual([0]) // <|endoftext|> from the tokenizer, not config.json's 98
      const r = await gen.generate({ ids: [0, 0, 195, 731] }, { maxTokens: 6, sampling: greedy })
      expect(r.ids).toEqual([731, 114, 114, 114, 114, 114]) // golden_greedy.json row 2
      const rows = await greedyBatch(gen.model.decoder, [[40, 416]], { maxLength: 8, padId: 0 })
      const r2 = await gen.generate({ ids: [40, 416] }, { maxTokens: 6, sampling: greedy })
      expect([40, 416, ...r2.ids]).toEqual(rows[0])
    } finally {
      await gen.close()
    }
  })

  it('Llama fp16 genai: EOS from the tokenizer (</s> = 2, not genai_config 1), chat template, text = decode', async () => {
    const gen = await LocalGenerator.open(LLAMA16)
    try {
      expect(gen.info.eosTokenIds).toEqual([2])
      expect(gen.info.hasChatTemplate).toBe(true)
      const chat = await gen.applyChatTemplate([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }])
      expect(chat).toBe('<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]')
      const ids = await gen.encode({ messages: [{ role: 'user', content: 'Hi' }] })
      expect(ids[0]).toBe(1) // <s> parsed as the control token, not as text
      expect(ids.filter((i) => i === 1)).toHaveLength(1)
      const r = await gen.generate('Hello', { maxTokens: 20, sampling: greedy })
      expect(r.prompt_ids[0]).toBe(1)
      const tok = gen.model.tokenizer
      const whole = tok.decode([...r.prompt_ids, ...r.ids], { skipSpecialTokens: true })
      expect(whole).toBe(tok.decode(r.prompt_ids, { skipSpecialTokens: true }) + r.text)
    } finally {
      await gen.close()
    }
  })
})

needs(SHARED).describe('Optimum layout with float16 and external data', () => {
  it('the tiny Llama as onnx/model.onnx + onnx/model.onnx.data generates what its genai folder does', async () => {
    const dir = tempDir('llm-fp16-')
    mkdirSync(join(dir, 'onnx'))
    for (const f of ['model.onnx', 'model.onnx.data']) symlinkSync(`${LLAMA16}/${f}`, join(dir, 'onnx', f))
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(`${LLAMA16}/${f}`, join(dir, f))
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 32000, max_position_embeddings: 2048, eos_token_id: 2, bos_token_id: 1 }))
    const optimum = await LocalGenerator.open(dir)
    const genai = await LocalGenerator.open(LLAMA16)
    try {
      expect(optimum.info.layout).toBe('optimum')
      const a = await optimum.generate('The cat', { maxTokens: 15, sampling: greedy })
      const b = await genai.generate('The cat', { maxTokens: 15, sampling: greedy })
      expect(a.ids).toHaveLength(15)
      expect(a.ids).toEqual(b.ids)
      expect(a.text).toBe(b.text)
    } finally {
      await optimum.close()
      await genai.close()
    }
  })
})

needs(SHARED).describe('worker-thread generator', () => {
  let worker: Generator
  beforeAll(async () => { worker = await openGenerator(storiesOptimumFolder(), { worker: true }) })
  afterAll(async () => { await worker.close() })

  it('gives the same result as in-process, streams per token and keeps the event loop live', async () => {
    const local = await LocalGenerator.open(storiesOptimumFolder())
    const opts = { maxTokens: 120, sampling: { temperature: 0.9, seed: 5 } }
    const want = await local.generate('Once upon a time', opts)
    await local.close()
    const pieces: string[] = []
    const events: string[] = []
    const running = worker.generate('Once upon a time', { ...opts, onText: (t) => pieces.push(t), onToken: () => events.push('token') })
    // live event loop: a main-thread callback queued now runs while tokens are still coming (an
    // in-process run would block the loop until the last one)
    setImmediate(() => events.push('main thread'))
    const got = await running
    expect(got.ids).toEqual(want.ids)
    expect(got.text).toBe(want.text)
    expect(pieces.join('')).toBe(got.text)
    expect(events.filter((e) => e === 'token').length).toBe(got.ids.length)
    expect(events.indexOf('main thread')).toBeGreaterThanOrEqual(0)
    expect(events.indexOf('main thread')).toBeLessThan(events.lastIndexOf('token'))
    expect(worker.info.vocabSize).toBe(512)
  })

  it('aborts between tokens and reports errors as LlmErrors', async () => {
    const ac = new AbortController()
    ac.abort()
    const r = await worker.generate('', { maxTokens: 400, sampling: greedy, signal: ac.signal })
    expect(r).toMatchObject({ finish_reason: 'abort', ids: [] })
    const ac2 = new AbortController()
    let m = 0
    const r2 = await worker.generate('', { maxTokens: 400, sampling: greedy, signal: ac2.signal, onToken: () => { if (++m === 10) ac2.abort() } })
    expect(r2.finish_reason).toBe('abort')
    expect(r2.ids.length).toBeLessThan(400)
    await expect(worker.generate({ ids: [1, 9999] })).rejects.toThrow(/outside the vocabulary/)
  })

  it('a load failure rejects open() with the one-line error', async () => {
    await expect(openGenerator('/nonexistent/model/dir', { worker: true })).rejects.toThrow(/no such model folder/)
  })
})

needs(SHARED).describe('model folder errors', () => {
  it('tokenizer larger than the logits: vocabulary mismatch', async () => {
    const dir = overlayFolder('ortgenai-tiny-random-gpt2-fp32', { 'tokenizer.json': { link: `${LLAMA16}/tokenizer.json` } })
    await expect(LocalGenerator.open(dir)).rejects.toThrow(/vocabulary mismatch: the tokenizer has 32000 tokens but the model's logits have 1000/)
  })

  it('corrupt ONNX file: names the file', async () => {
    const dir = overlayFolder('ortgenai-tiny-random-gpt2-fp32', { 'past.onnx': new Uint8Array([1, 2, 3, 4, 5]) })
    const err = await LocalGenerator.open(dir).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(LlmError)
    expect((err as LlmError).oneLine()).toMatch(/past\.onnx: cannot load ONNX model on cpu: .*\(hint: /)
  })
})
