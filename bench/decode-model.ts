/**
 * A 135M-parameter Llama with SmolLM2-135M's exact shape (hidden 576, intermediate 1536, 30
 * layers, 9 heads, 3 KV heads, head 64, vocab 49152, tied embeddings, rope θ 100000) and seeded
 * random weights (std 0.02, as HF's initializer_range), written the way a user's folder looks:
 * config.json, model.safetensors, a byte-level BPE tokenizer.json of 49152 tokens (SmolLM2's
 * pre-tokenizer: digits split, then GPT-2 byte level; synthetic merges), then every artefact the
 * decode benchmark compares, each made by our own commands' code:
 *   onnx/model.onnx (+ model_int8 / model_q4 via quantize), and f32 / f16 / q8_0 / q4_0 GGUF.
 * Nothing is downloaded. Made once into a cache folder and reused while the recipe and the code
 * that makes the artefacts (the model emitter, convert, quantize) are unchanged; `--fresh` rebuilds.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeSafetensors, type SafeTensor } from '../src/core/safetensors.js'
import { exportOnnx } from '../src/core/convert/onnx.js'
import { convertToGguf, type GgufOuttype } from '../src/core/convert/gguf.js'
import { quantizeModel } from '../src/core/quantize/index.js'
import { BYTE_TO_CHAR } from '../src/tokenizer/hf/chars.js'
import { normals, uniforms as rng } from '../src/core/rng.js'

export const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536,
  num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, hidden_act: 'silu',
  max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000, rope_scaling: null, tie_word_embeddings: true,
  attention_bias: false, mlp_bias: false, bos_token_id: 1, eos_token_id: 2, torch_dtype: 'float32', use_cache: true,
}

/** byte-level BPE: 3 specials, 256 bytes, then merges of random earlier tokens up to `V` */
function tokenizerJson(V: number, r: () => number): Record<string, unknown> {
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
  const vocab: Record<string, number> = {}
  specials.forEach((s, i) => { vocab[s] = i })
  const tokens: string[] = []
  for (let b = 0; b < 256; b++) { tokens.push(BYTE_TO_CHAR[b]!); vocab[BYTE_TO_CHAR[b]!] = 3 + b }
  const merges: [string, string][] = []
  // favour printable ASCII letters and short tokens, as real merges do
  const letters = tokens.filter((t) => /^[a-zA-Z]$/.test(t) || t === 'Ġ')
  while (tokens.length + 3 < V) {
    const pick = (): string => (r() < 0.3 ? letters[Math.floor(r() * letters.length)]! : tokens[Math.floor(Math.sqrt(r()) * tokens.length * 0.5 + r() * tokens.length * 0.5) % tokens.length]!)
    const a = pick(), b = pick()
    const t = a + b
    if (t.length > 16 || vocab[t] !== undefined) continue
    vocab[t] = tokens.length + 3
    tokens.push(t)
    merges.push([a, b])
  }
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }] },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  }
}

/** bump when the weights' recipe changes; a cache made by another recipe or other code is rebuilt */
const RECIPE = 'smollm2-135m-shape v5: weights from src/core/rng.ts; int8 = MatMulNBits 8-bit blocks'

/** the recipe plus a hash of the modules that write the artefacts (as run: this file's siblings in dist/ or src/) */
function cacheKey(): string {
  const h = createHash('sha256')
  for (const dir of ['kernels/model', 'kernels/onnx', 'core/convert', 'core/quantize']) {
    const abs = fileURLToPath(new URL(`../src/${dir}/`, import.meta.url))
    for (const f of readdirSync(abs).sort()) if (/\.[jt]s$/.test(f)) h.update(f).update(readFileSync(join(abs, f)))
  }
  return `${RECIPE}\ncode ${h.digest('hex').slice(0, 16)}`
}

export interface DecodeModel { dir: string; gguf: Record<GgufOuttype, string> }

export function makeDecodeModel(cacheDir: string, opts: { fresh?: boolean; log?: (s: string) => void } = {}): DecodeModel {
  const dir = join(cacheDir, 'smollm2-135m-shape')
  const gguf = Object.fromEntries((['f32', 'f16', 'q8_0', 'q4_0'] as const).map((t) => [t, join(cacheDir, `smollm2-135m-shape.${t}.gguf`)])) as Record<GgufOuttype, string>
  const done = join(dir, '.complete')
  const key = cacheKey()
  if (!opts.fresh && existsSync(done) && readFileSync(done, 'utf8') === key) return { dir, gguf }
  const log = opts.log ?? (() => undefined)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const c = SMOLLM2_135M
  const r = rng(135)
  const z = normals(136)
  log('writing safetensors (135M random weights)…')
  const w = new Map<string, SafeTensor>()
  const put = (name: string, shape: number[], std: number | 'ones') => {
    const n = shape.reduce((a, b) => a * b, 1)
    w.set(name, { dtype: 'F32', shape, data: std === 'ones' ? new Float32Array(n).fill(1) : Float32Array.from({ length: n }, () => std * z()) })
  }
  const C = c.hidden_size, F = c.intermediate_size, D = c.head_dim
  put('model.embed_tokens.weight', [c.vocab_size, C], 0.02)
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const L = `model.layers.${i}.`
    put(`${L}input_layernorm.weight`, [C], 'ones')
    put(`${L}self_attn.q_proj.weight`, [c.num_attention_heads * D, C], 0.02)
    put(`${L}self_attn.k_proj.weight`, [c.num_key_value_heads * D, C], 0.02)
    put(`${L}self_attn.v_proj.weight`, [c.num_key_value_heads * D, C], 0.02)
    put(`${L}self_attn.o_proj.weight`, [C, c.num_attention_heads * D], 0.02)
    put(`${L}post_attention_layernorm.weight`, [C], 'ones')
    put(`${L}mlp.gate_proj.weight`, [F, C], 0.02)
    put(`${L}mlp.up_proj.weight`, [F, C], 0.02)
    put(`${L}mlp.down_proj.weight`, [C, F], 0.02)
  }
  put('model.norm.weight', [C], 'ones')
  writeSafetensors(join(dir, 'model.safetensors'), w, { format: 'pt' })
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, 2))
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: 2 }, null, 2))
  log('writing tokenizer.json (49152 tokens)…')
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(c.vocab_size, r)))
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|im_start|>', eos_token: '<|im_end|>', add_bos_token: false, model_max_length: 8192, clean_up_tokenization_spaces: false }, null, 2))
  log('exporting onnx/model.onnx…')
  exportOnnx(dir)
  for (const to of ['int8', 'q4'] as const) { log(`quantizing ${to}…`); quantizeModel({ src: dir, to, out: dir, force: true }) }
  for (const t of ['f32', 'f16', 'q8_0', 'q4_0'] as const) { log(`writing ${t} GGUF…`); convertToGguf({ src: dir, out: gguf[t], outtype: t, force: true }) }
  writeFileSync(done, key)
  return { dir, gguf }
}
