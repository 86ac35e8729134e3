/**
 * `llm convert --to gguf`, checked against llama.cpp itself (node-llama-cpp's prebuilt binaries):
 * it loads our files and its greedy ids equal an independent PyTorch forward (family fixtures from
 * ../shared/tools/family_reference.py), llama2.c's run.c golden output (stories260K) and our own
 * ONNX path (the bundled model); its tokenizer splits text as ours does; q8_0/q4_0 blocks equal
 * gguf-py's quantizers (numpy, the formulas of gguf-py/gguf/quants.py).
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getLlama, LlamaLogLevel, readGgufFileInfo, type Llama, type Token } from 'node-llama-cpp'
import { convert } from '../../src/core/convert/index.js'
import { convertToGguf } from '../../src/core/convert/gguf.js'
import { encodeTensor } from '../../src/core/convert/gguf-file.js'
import { permuteInterleavedToHalves } from '../../src/core/convert/llama2c.js'
import { permuteHalvesToInterleaved } from '../../src/core/convert/gguf.js'
import { Model } from '../../src/core/model/load.js'
import { generateWithModel } from '../../src/core/generate/generator.js'
import { loadTokenizer } from '../../src/tokenizer/load.js'
import { needs, PY, repoRoot, runCli, shared, SHARED, TORCH } from '../helpers.js'

const root = mkdtempSync(join(tmpdir(), 'llm-gguf-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const FAMILIES = ['llama', 'qwen2', 'mistral', 'phi3', 'gemma'] as const
/** several scripts, emoji, code with tabs and runs of spaces, long digit runs, NBSP / ideographic spaces */
const HARD_TEXTS = [
  'The little robot said: ', 'Hello  world\n\nOnce upon a time, Lily   ran.', ' leading space', 'héllo ünïcode 日本語 Ελληνικά русский 한국어',
  'emoji 🙂👍🏽 family 👨‍👩‍👧', 'def f(x):\n\treturn  x  +  1\t\t# tabs', '3141592653589793238462643383279', 'a\u00a0b\u3000c  \n \n', "I'm it's we'll THEY'RE",
]
interface Expected { prompt_ids: number[]; greedy_ids: number[]; prompt: string }

let llama: Llama
beforeAll(async () => { llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }) })

/** llama.cpp's greedy continuation of `prompt` (token ids), `n` tokens. */
async function llamaCppGreedy(file: string, prompt: number[], n: number): Promise<number[]> {
  const model = await llama.loadModel({ modelPath: file })
  try {
    const ctx = await model.createContext({ contextSize: 256, threads: 1 })
    const out: number[] = []
    for await (const t of ctx.getSequence().evaluate(prompt as Token[], { temperature: 0 })) { out.push(t); if (out.length >= n) break }
    await ctx.dispose()
    return out
  } finally {
    await model.dispose()
  }
}

describe('GGUF blocks', () => {
  it('q/k permutation is the inverse of the llama2.c import (HF rotate-half ↔ interleaved)', () => {
    const w = Float32Array.from({ length: 3 * 8 * 5 }, (_, i) => i)
    expect(Array.from(permuteHalvesToInterleaved(permuteInterleavedToHalves(w, 3, 8, 5), 3, 8, 5))).toEqual(Array.from(w))
    // GGUF row 2i+p = HF row p·D/2+i: head 0 of D=4 takes HF rows 0,2,1,3
    expect(Array.from(permuteHalvesToInterleaved(Float32Array.from([0, 1, 2, 3]), 1, 4, 1))).toEqual([0, 2, 1, 3])
  })

  needs(TORCH).it('q8_0, q4_0 and f16 bytes equal gguf-py quants.py (numpy)', () => {
    // values with ties (x/d = k.5), zeros, a block of zeros and large magnitudes
    const x = Float32Array.from({ length: 32 * 40 }, (_, i) => (i < 32 ? 0 : i % 97 === 0 ? 0 : Math.sin(i * 1.7) * (1 + (i % 13)) * (i % 5 === 0 ? 100 : 1)))
    x[40] = 127; x[41] = 0.5; x[42] = -0.5; x[43] = 1.5
    const inFile = join(root, 'q-in.f32')
    writeFileSync(inFile, new Uint8Array(x.buffer))
    const script = `
import numpy as np, sys
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 32)
def roundf(n):
    a = abs(n); fl = np.floor(a); return np.sign(n) * (fl + np.floor(2 * (a - fl)))
d = abs(x).max(axis=1, keepdims=True) / 127
with np.errstate(divide="ignore"): i = np.where(d == 0, 0, 1 / d)
q8 = np.concatenate([d.astype(np.float16).view(np.uint8), roundf(x * i).astype(np.int8).view(np.uint8)], axis=1)
imax = abs(x).argmax(axis=-1, keepdims=True); mx = np.take_along_axis(x, imax, axis=-1)
d = mx / -8
with np.errstate(divide="ignore"): i = np.where(d == 0, 0, 1 / d)
qs = np.trunc((np.float64(x) * np.float64(i)) + np.float64(8.5), dtype=np.float32).astype(np.uint8).clip(0, 15).reshape(-1, 2, 16)
q4 = np.concatenate([d.astype(np.float16).view(np.uint8), qs[..., 0, :] | (qs[..., 1, :] << np.uint8(4))], axis=-1)
sys.stdout.buffer.write(q8.tobytes() + q4.tobytes() + x.astype(np.float16).tobytes())`
    const r = spawnSync(PY, ['-c', script, inFile], { maxBuffer: 1 << 24 })
    expect(r.status, String(r.stderr)).toBe(0)
    const ref = new Uint8Array(r.stdout)
    const q8 = encodeTensor(x, 'Q8_0'), q4 = encodeTensor(x, 'Q4_0'), f16 = encodeTensor(x, 'F16')
    expect(q8.length + q4.length + f16.length).toBe(ref.length)
    expect(Buffer.from(q8).equals(Buffer.from(ref.subarray(0, q8.length)))).toBe(true)
    expect(Buffer.from(q4).equals(Buffer.from(ref.subarray(q8.length, q8.length + q4.length)))).toBe(true)
    expect(Buffer.from(f16).equals(Buffer.from(ref.subarray(q8.length + q4.length)))).toBe(true)
  })
})

needs(SHARED, TORCH).describe('families → GGUF → llama.cpp greedy = PyTorch', () => {
  const fam = join(root, 'fam')
  beforeAll(() => {
    const r = spawnSync(PY, [shared('tools/family_reference.py'), fam], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`family_reference.py failed: ${r.stderr}`)
  }, 120_000)

  for (const f of FAMILIES) {
    it(`${f}: f32 and f16 give PyTorch's greedy ids; metadata reads back`, async () => {
      const exp = JSON.parse(readFileSync(join(fam, `${f}.expected.json`), 'utf8')) as Expected
      for (const outtype of ['f32', 'f16'] as const) {
        const file = join(root, `${f}.${outtype}.gguf`)
        const r = convertToGguf({ src: join(fam, f), out: file, outtype })
        expect(r.family).toBe(f)
        expect(await llamaCppGreedy(file, exp.prompt_ids, exp.greedy_ids.length), `${f} ${outtype}`).toEqual(exp.greedy_ids)
      }
      // an independent parser (node-llama-cpp's) reads what we wrote
      const info = await readGgufFileInfo(join(root, `${f}.f16.gguf`), { readTensorInfo: true })
      expect(info.version).toBe(3)
      const md = info.metadata as unknown as Record<string, Record<string, unknown>>
      const arch = f === 'mistral' ? 'llama' : f
      expect(md.general!.architecture).toBe(arch)
      expect(((md.tokenizer!.ggml as Record<string, unknown>).tokens as string[]).length).toBe(300)
      expect(((md.tokenizer!.ggml as Record<string, unknown>).eos_token_id)).toBe(257)
      // llama.cpp's tokenizer splits the prompt as ours does
      const model = await llama.loadModel({ modelPath: join(root, `${f}.f16.gguf`) })
      expect(model.tokenize(exp.prompt)).toEqual(exp.prompt_ids)
      await model.dispose()
    })
  }

  it('a BPE tokenizer trained here (GPT-4 split, merges): llama.cpp tokenizes text id for id as we do; chat template carried', async () => {
    const dir = join(root, 'llama-bpe')
    cpSync(join(fam, 'llama'), dir, { recursive: true })
    const corpus = join(root, 'corpus.txt')
    writeFileSync(corpus, readFileSync(shared('data/tinyshakespeare/input.txt'), 'utf8').slice(0, 200_000))
    const r = runCli(['tokenizer', 'train', corpus, '--vocab-size', '300', '--out', join(dir, 'tokenizer.json')])
    expect(r.code, r.stderr).toBe(0)
    const template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', chat_template: template }))
    const file = join(root, 'llama-bpe.gguf')
    expect(convertToGguf({ src: dir, out: file, outtype: 'f32' }).notes).toEqual([])
    const info = await readGgufFileInfo(file)
    const tok = (info.metadata as unknown as { tokenizer: { chat_template: string; ggml: Record<string, unknown> } }).tokenizer
    expect(tok.chat_template).toBe(template)
    expect(tok.ggml).toMatchObject({ model: 'gpt2', pre: 'llama-bpe', add_bos_token: false })
    const model = await llama.loadModel({ modelPath: file })
    const ours = loadTokenizer(join(dir, 'tokenizer.json'))
    for (const t of HARD_TEXTS) expect(model.tokenize(t), JSON.stringify(t)).toEqual(ours.encode(t, { addSpecialTokens: false }))
    await model.dispose()
  })

  it('q8_0 loads in llama.cpp and keeps PyTorch\'s greedy ids where the margins allow (qwen2, phi3, gemma)', async () => {
    for (const f of ['qwen2', 'phi3', 'gemma']) {
      const exp = JSON.parse(readFileSync(join(fam, `${f}.expected.json`), 'utf8')) as Expected
      const file = join(root, `${f}.q8_0.gguf`)
      convertToGguf({ src: join(fam, f), out: file, outtype: 'q8_0' })
      expect(await llamaCppGreedy(file, exp.prompt_ids, exp.greedy_ids.length), f).toEqual(exp.greedy_ids)
    }
  })
})

needs(SHARED).describe('real tokenizers: stories260K (SentencePiece) and the bundled model (char-level)', () => {
  let stories: string
  beforeAll(() => {
    stories = join(root, 'stories260K')
    convert({ from: 'llama2c', src: shared('models/stories260K/stories260K.bin'), tokenizer: shared('models/stories260K/tok512.model'), out: stories })
  })

  it('stories260K: llama.cpp reproduces run.c\'s 200 greedy tokens (f32; q8_0 the first 100); text tokenizes id for id', async () => {
    const golden = JSON.parse(readFileSync(shared('models/stories260K/golden_greedy_200.json'), 'utf8')) as { greedy_token_ids_including_bos: number[] }
    const want = golden.greedy_token_ids_including_bos
    for (const outtype of ['f32', 'q8_0'] as const) {
      const file = join(root, `stories.${outtype}.gguf`)
      const r = convertToGguf({ src: stories, out: file, outtype })
      expect(r.tokenizer).toBe('llama')
      // q8_0 rounding moves this 260K-parameter model off run.c's path at token 111
      const n = outtype === 'f32' ? want.length - 1 : 100
      expect(await llamaCppGreedy(file, [want[0]!], n), outtype).toEqual(want.slice(1, n + 1))
    }
    const model = await llama.loadModel({ modelPath: join(root, 'stories.f32.gguf') })
    const ours = loadTokenizer(join(stories, 'tokenizer.json'))
    for (const t of HARD_TEXTS)
      expect(model.tokenize(t), JSON.stringify(t)).toEqual(ours.encode(t, { addSpecialTokens: false }))
    await model.dispose()
    // BOS first, as our tokenizer's post-processor adds it
    expect(ours.encode('Once', { addSpecialTokens: true })[0]).toBe(1)
    const ggml = ((await readGgufFileInfo(join(root, 'stories.f32.gguf'))).metadata as unknown as { tokenizer: { ggml: Record<string, unknown> } }).tokenizer.ggml
    expect(ggml).toMatchObject({ model: 'llama', bos_token_id: 1, eos_token_id: 2, unk_token_id: 0, add_bos_token: true, add_space_prefix: true })
  })

  it('bundled model: llama.cpp\'s greedy ids equal ours (ONNX) and its characters map to the same ids', async () => {
    const dir = join(repoRoot, 'models/default')
    const file = join(root, 'default.gguf')
    const r = runCli(['convert', dir, '--to', 'gguf', '--out', file, '--outtype', 'f32', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ to: 'gguf', architecture: 'llama', tokenizer: 'gpt2', vocab_size: 65 })
    const m = await Model.load(dir)
    try {
      const prompt = 'ROMEO:\nWhat light through'
      const res = await generateWithModel(m, prompt, { maxTokens: 40, sampling: { temperature: 0 } })
      const gguf = await llama.loadModel({ modelPath: file })
      expect(gguf.tokenize(prompt)).toEqual(res.prompt_ids)
      await gguf.dispose()
      // llama.cpp takes token 11 (';') for EOS when a gpt2 vocabulary names none: stop comparing there
      const got = await llamaCppGreedy(file, res.prompt_ids, 40)
      const until = res.ids.indexOf(11) >= 0 ? res.ids.indexOf(11) : res.ids.length
      expect(got.slice(0, until)).toEqual(res.ids.slice(0, until))
    } finally {
      await m.release()
    }
  })
})

describe('llm convert --to gguf: bad input', () => {
  it('names the flag or file at fault', () => {
    const out = join(root, 'x.gguf')
    let r = runCli(['convert', join(repoRoot, 'models/default'), '--to', 'gguf', '--out', out, '--outtype', 'q3'])
    expect(r.code).toBe(2)
    r = runCli(['convert', join(root, 'nope'), '--to', 'gguf', '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not a Hugging Face model folder/)
    writeFileSync(out, 'x')
    r = runCli(['convert', join(repoRoot, 'models/default'), '--to', 'gguf', '--out', out])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/file exists.*--force/)
    expect(readFileSync(out, 'utf8')).toBe('x')
    r = runCli(['convert', join(repoRoot, 'models/default'), '--to', 'gguf', '--from', 'llama2c', '--out', out, '--force'])
    expect(r.code).toBe(2)
    expect(existsSync(out)).toBe(true)
  })
})
