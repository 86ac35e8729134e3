import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ModelSession, tensor, type Tensor } from '../../src/core/runtime/ort.js'
import { convert } from '../../src/core/convert/index.js'
import { readSafetensors } from '../../src/core/safetensors.js'
import { needs, runCli, SHARED, shared } from '../helpers.js'

const S = (...p: string[]) => shared('models', ...p)
const root = mkdtempSync(join(tmpdir(), 'llm-convert-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Golden { greedy_token_ids_including_bos: number[]; first_step_logits_top5: [number, number][]; expected_text: string }

const LAYERS = 5, KV = 4, HD = 8, V = 512
const i64 = (ids: number[]) => tensor('int64', ids.map(BigInt), [1, ids.length])
function emptyPast(prefix = 'past_key_values'): Record<string, Tensor> {
  const out: Record<string, Tensor> = {}
  for (let i = 0; i < LAYERS; i++) for (const k of ['key', 'value']) out[`${prefix}.${i}.${k}`] = tensor('float32', new Float32Array(0), [1, KV, 0, HD])
  return out
}
function nextPast(out: Record<string, Tensor>): Record<string, Tensor> {
  const past: Record<string, Tensor> = {}
  for (let i = 0; i < LAYERS; i++) for (const k of ['key', 'value']) past[`past_key_values.${i}.${k}`] = out[`present.${i}.${k}`]
  return past
}
function argmax(a: Float32Array, from = 0, n = a.length): number {
  let best = 0
  for (let i = 1; i < n; i++) if (a[from + i] > a[from + best]) best = i
  return best
}
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); if (!(d <= m)) m = d }
  return m
}

/** The converted legacy stories260K folder (converted once per file run). */
function legacyFolder(): string {
  const dir = join(root, 'stories260K')
  if (!existsSync(dir)) convert({ from: 'llama2c', src: S('stories260K/stories260K.bin'), tokenizer: S('stories260K/tok512.model'), out: dir })
  return dir
}

/** Greedy KV-cached decode from `prompt` with our graph: one token per run after the prompt. */
async function greedy(session: ModelSession, prompt: number[], steps: number, keepLogits = 0): Promise<{ ids: number[]; logits: Float32Array[] }> {
  const ids = [...prompt]
  const logits: Float32Array[] = []
  let past = emptyPast()
  let feed = prompt
  for (let s = 0; s < steps; s++) {
    const P = ids.length - feed.length
    const out = await session.run({
      input_ids: i64(feed),
      attention_mask: i64(Array(ids.length).fill(1)),
      position_ids: i64(feed.map((_, j) => P + j)),
      ...past,
    })
    const l = out.logits.data as Float32Array
    const last = l.subarray((feed.length - 1) * V, feed.length * V)
    if (logits.length < keepLogits) logits.push(Float32Array.from(last))
    const next = argmax(last)
    ids.push(next)
    past = nextPast(out)
    feed = [next]
  }
  return { ids, logits }
}

needs(SHARED).describe('llm convert --from llama2c: stories260K', () => {
  let dir: string
  let session: ModelSession
  let golden: Golden
  let decoded: { ids: number[]; logits: Float32Array[] }
  beforeAll(async () => {
    dir = legacyFolder()
    golden = JSON.parse(readFileSync(S('stories260K/golden_greedy_200.json'), 'utf8'))
    session = await ModelSession.create(join(dir, 'onnx/model.onnx'))
    decoded = await greedy(session, [1], golden.greedy_token_ids_including_bos.length - 1, 64)
  })

  it('greedy KV-cached decode of 200 steps from BOS reproduces llama2.c run.c token for token', () => {
    expect(decoded.ids).toEqual(golden.greedy_token_ids_including_bos)
    // and the first step's logits agree with run.c's top 5 values
    for (const [id, value] of golden.first_step_logits_top5) expect(Math.abs(decoded.logits[0][id] - value)).toBeLessThan(1e-4)
  })

  it('cached decoding logits equal one full recomputation (64 positions) within 1e-4', async () => {
    const n = decoded.logits.length
    const ids = decoded.ids.slice(0, n)
    const out = await session.run({ input_ids: i64(ids), attention_mask: i64(Array(n).fill(1)), position_ids: i64(ids.map((_, j) => j)), ...emptyPast() })
    const full = out.logits.data as Float32Array
    let worst = 0
    for (let p = 0; p < n; p++) worst = Math.max(worst, maxAbsDiff(full.subarray(p * V, (p + 1) * V), decoded.logits[p]))
    expect(worst, `max |Δlogit| cached vs full: ${worst}`).toBeLessThan(1e-4)
  })

  it('logits equal the independent ONNX rendering (stories260K-onnx) on a prompt within 1e-4', async () => {
    const other = await ModelSession.create(S('stories260K-onnx/model.onnx'))
    const prompt = golden.greedy_token_ids_including_bos.slice(0, 24)
    const theirs = (await other.run({ input_ids: i64(prompt), ...emptyPast() })).logits.data as Float32Array
    const ours = (await session.run({ input_ids: i64(prompt), attention_mask: i64(prompt.map(() => 1)), position_ids: i64(prompt.map((_, j) => j)), ...emptyPast() })).logits.data as Float32Array
    const d = maxAbsDiff(ours, theirs)
    expect(d, `max |Δlogit| vs stories260K-onnx: ${d}`).toBeLessThan(1e-4)
    await other.release()
  })

  it('the folder loads in transformers.js, whose greedy output and tokenizer agree with ours', async () => {
    const tjs = await import('@huggingface/transformers')
    tjs.env.allowRemoteModels = false
    tjs.env.allowLocalModels = true
    tjs.env.localModelPath = root + '/'
    const model = await tjs.AutoModelForCausalLM.from_pretrained('stories260K', { local_files_only: true, dtype: 'fp32' })
    const tokenizer = await tjs.AutoTokenizer.from_pretrained('stories260K', { local_files_only: true })
    const input = new tjs.Tensor('int64', BigInt64Array.of(1n), [1, 1])
    const out = (await model.generate({ input_ids: input, max_new_tokens: 30, do_sample: false })) as { tolist(): bigint[][] }
    const ids = out.tolist()[0].map(Number)
    expect(ids).toEqual(decoded.ids.slice(0, 31))
    // its tokenizer (our converted tokenizer.json) encodes with BOS and decodes the golden text
    const text = tokenizer.decode(golden.greedy_token_ids_including_bos, { skip_special_tokens: true })
    expect(golden.expected_text.startsWith(text.trim().slice(0, 300))).toBe(true)
    expect(tokenizer.encode('Once upon a time')).toEqual(golden.greedy_token_ids_including_bos.slice(0, 5))
    await model.dispose()
  })

  it('writes the Hugging Face files with HF names, tied embeddings and bos/eos', () => {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    expect(cfg).toMatchObject({ model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 172, num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4, vocab_size: 512, max_position_embeddings: 512, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: 2, torch_dtype: 'float32', rms_norm_eps: 1e-5 })
    expect(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'))).toEqual({ bos_token_id: 1, eos_token_id: 2 })
    const tc = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))
    expect([tc.bos_token, tc.eos_token]).toEqual(['<s>', '</s>'])
    const st = readSafetensors(join(dir, 'model.safetensors'))
    expect(st.tensors.has('lm_head.weight')).toBe(false)
    expect(st.tensors.get('model.layers.4.self_attn.k_proj.weight')!.shape).toEqual([32, 64])
    expect(st.tensors.size).toBe(2 + 5 * 9)
  })
})

/** Rebuild a stories260K checkpoint in other llama2.c layouts (byte ranges per run.c / export.py). */
function relayout(kind: 'v1' | 'unshared'): Buffer {
  const src = readFileSync(S('stories260K/stories260K.bin'))
  const [C, F, L, H, KVH, Vv, T] = Array.from({ length: 7 }, (_, i) => src.readInt32LE(4 * i))
  const D = C / H
  const sizes: [string, number][] = [['tok', Vv * C], ['rms_att', L * C], ['wq', L * C * C], ['wk', L * C * KVH * D], ['wv', L * C * KVH * D], ['wo', L * C * C], ['rms_ffn', L * C], ['w1', L * F * C], ['w2', L * F * C], ['w3', L * F * C], ['rms_final', C], ['freqs', T * D]]
  const seg: Record<string, Buffer> = {}
  let o = 28
  for (const [name, n] of sizes) { seg[name] = src.subarray(o, o + 4 * n); o += 4 * n }
  expect(o).toBe(src.length)
  if (kind === 'unshared') {
    const header = Buffer.from(src.subarray(0, 28))
    header.writeInt32LE(-Vv, 20) // negative vocab: a classifier follows; here a copy of the embeddings
    return Buffer.concat([header, src.subarray(28), seg.tok])
  }
  const header = Buffer.alloc(256)
  header.writeUInt32LE(0x616b3432, 0)
  header.writeInt32LE(1, 4)
  for (let i = 0; i < 7; i++) header.writeInt32LE(src.readInt32LE(4 * i), 8 + 4 * i)
  header.writeUInt8(1, 36)
  return Buffer.concat([header, ...['rms_att', 'rms_ffn', 'rms_final', 'tok', 'wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3'].map((k) => seg[k])])
}

needs(SHARED).describe('llama2.c layouts and bad input', () => {
  it('version 1 ("ak42") gives the same weights as legacy; an unshared classifier becomes lm_head.weight', async () => {
    const base = readSafetensors(join(legacyFolder(), 'model.safetensors'))
    for (const kind of ['v1', 'unshared'] as const) {
      const file = join(root, `${kind}.bin`)
      writeFileSync(file, relayout(kind))
      const out = join(root, `conv-${kind}`)
      convert({ from: 'llama2c', src: file, tokenizer: S('stories260K/tok512.bin'), out })
      const w = readSafetensors(join(out, 'model.safetensors')).tensors
      for (const [name, t] of base.tensors) expect(Buffer.from((w.get(name)!.data as Float32Array).buffer).equals(Buffer.from((t.data as Float32Array).buffer)), `${kind} ${name}`).toBe(true)
      expect(w.has('lm_head.weight')).toBe(kind === 'unshared')
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).tie_word_embeddings).toBe(kind !== 'unshared')
    }
    // the untied graph (separate lm_head equal to the embeddings) decodes like the tied one
    const s = await ModelSession.create(join(root, 'conv-unshared', 'onnx/model.onnx'))
    const golden = JSON.parse(readFileSync(S('stories260K/golden_greedy_200.json'), 'utf8')) as Golden
    expect((await greedy(s, [1], 40)).ids).toEqual(golden.greedy_token_ids_including_bos.slice(0, 41))
  })

  it('CLI: --json result, then one-line errors for an existing --out and a truncated checkpoint', () => {
    const out = join(root, 'cli-out')
    const ok = runCli(['convert', S('stories260K/stories260K.bin'), '--from', 'llama2c', '--tokenizer', S('stories260K/tok512.model'), '--out', out, '--json'])
    expect(ok.code, ok.stderr).toBe(0)
    const r = JSON.parse(ok.stdout)
    expect(r).toMatchObject({ out, from: 'llama2c', format: 'llama2.c legacy (v0)', parameters: 260032, layers: 5, vocab_size: 512 })
    expect(r.files.map((f: { path: string }) => f.path).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json'])

    const again = runCli(['convert', S('stories260K/stories260K.bin'), '--from', 'llama2c', '--tokenizer', S('stories260K/tok512.model'), '--out', out])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/folder exists and is not empty.*--force/)

    const cut = join(root, 'cut.bin')
    const full = readFileSync(S('stories260K/stories260K.bin'))
    writeFileSync(cut, full.subarray(0, full.length - 1000))
    const bad = runCli(['convert', cut, '--from', 'llama2c', '--tokenizer', S('stories260K/tok512.model'), '--out', join(root, 'never')])
    expect(bad.code).toBe(1)
    // (under vitest, oclif may add ' ›   Warning: Could not find source…' lines: not ours)
    const lines = bad.stderr.trim().split('\n').filter((l) => !l.includes('›'))
    expect(lines, bad.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(/^llm convert: error: /)
    expect(bad.stderr).toContain(`${cut}: truncated llama2.c checkpoint: expected ${full.length} bytes`)
    expect(bad.stderr).toContain(`found ${full.length - 1000}`)

  })

  it('library errors name the file: missing checkpoint, not a checkpoint, wrong tokenizer', () => {
    const oneLine = (f: () => unknown): string => {
      try { f() } catch (e) { return (e as { oneLine(): string }).oneLine() }
      throw new Error('expected an error')
    }
    const tok = S('stories260K/tok512.model')
    const missing = join(root, 'nope.bin')
    expect(oneLine(() => convert({ from: 'llama2c', src: missing, tokenizer: tok, out: join(root, 'never') }))).toBe(`${missing}: cannot read file: no such file or directory`)
    const garbage = join(root, 'garbage.bin')
    writeFileSync(garbage, Buffer.from('this is not a checkpoint at all, just some text'))
    expect(oneLine(() => convert({ from: 'llama2c', src: garbage, tokenizer: tok, out: join(root, 'never') }))).toMatch(new RegExp(`^${garbage}: not a llama2\\.c checkpoint: `))
    const vocab = oneLine(() => convert({ from: 'llama2c', src: S('stories260K/stories260K.bin'), tokenizer: S('ortgenai-tiny-random-gpt2-fp32/tokenizer.json'), out: join(root, 'never') }))
    expect(vocab).toMatch(/tokenizer\.json: unrecognised tokenizer file/)
    expect(existsSync(join(root, 'never'))).toBe(false)
  })
})
