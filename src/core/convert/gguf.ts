/**
 * `llm convert SRC --to gguf`: a Hugging Face folder (config.json, safetensors, tokenizer.json)
 * → one GGUF v3 file that llama.cpp (and ollama, LM Studio, node-llama-cpp) loads.
 *
 * Follows llama.cpp's convert_hf_to_gguf.py (conversion/llama.py, qwen.py, phi.py, gemma.py):
 *  - llama, mistral → arch `llama`. llama.cpp rotates interleaved pairs (rope type NORM), HF rotates
 *    halves, so q/k rows are permuted per head: GGUF row 2i+p = HF row p·D/2+i (LlamaModel.permute).
 *    rope_scaling llama3 becomes the `rope_freqs.weight` factors; linear becomes rope.scaling.*.
 *  - qwen2 → `qwen2` (q/k/v biases; NEOX rope: no permute).
 *  - phi3 → `phi3` (fused attn_qkv and ffn_up = [gate; up]; rope dims = partial_rotary_factor·D).
 *  - gemma → `gemma` (RMSNorm weights stored as 1 + w; llama.cpp scales embeddings by √hidden).
 * 2-D weights take --outtype (f32, f16, q8_0, q4_0); 1-D tensors (norms, biases, rope factors) stay
 * f32, and a row length that is not a multiple of 32 falls back to f16, as the converter does.
 */
import { existsSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { tensorToFloat32, type SafeTensor } from '../safetensors.js'
import { readJsonFile, readModelWeights } from '../../kernels/llama/export.js'
import { encodeGguf, encodeTensor, fitsType, gg, LLAMA_FTYPE, type GgmlType, type GgufTensor, type GgufValue } from './gguf-file.js'
import { ggufVocab } from './gguf-vocab.js'

import { GGUF_OUTTYPES } from './sources.js'
export { GGUF_OUTTYPES }
export type GgufOuttype = (typeof GGUF_OUTTYPES)[number]

const FAMILIES = ['llama', 'mistral', 'qwen2', 'phi3', 'gemma'] as const
type Family = (typeof FAMILIES)[number]

/** What the writer needs from config.json (one reader: swap for the project's model config reader). */
export interface GgufModelConfig {
  family: Family
  vocabSize: number
  hiddenSize: number
  intermediateSize: number
  numLayers: number
  numHeads: number
  numKvHeads: number
  headDim: number
  rmsNormEps: number
  ropeTheta: number
  contextLength: number
  tieWordEmbeddings: boolean
  /** rotary dims (phi3 partial_rotary_factor), else headDim */
  ropeDims: number
  ropeScaling?: { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalContext: number } | { type: 'linear'; factor: number }
  slidingWindow?: number
  originalContext?: number
}

type Json = Record<string, unknown>

export function readGgufModelConfig(json: Json, where: string): GgufModelConfig {
  const family = json.model_type as Family
  if (!FAMILIES.includes(family)) {
    throw new LlmError(`model_type '${String(json.model_type)}' cannot be written to GGUF`, { where, hint: `supported: ${FAMILIES.join(', ')}` })
  }
  const int = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new LlmError(`'${key}' must be a positive integer, got ${JSON.stringify(json[key])}`, { where })
    return v
  }
  const num = (key: string, fallback: number): number => {
    const v = json[key] ?? fallback
    if (typeof v !== 'number' || !(v > 0)) throw new LlmError(`'${key}' must be a positive number`, { where })
    return v
  }
  const hiddenSize = int('hidden_size')
  const numHeads = int('num_attention_heads')
  const headDim = int('head_dim', Math.floor(hiddenSize / numHeads))
  const act = json.hidden_act ?? json.hidden_activation ?? (family === 'gemma' ? 'gelu_pytorch_tanh' : 'silu')
  const wantAct = family === 'gemma' ? ['gelu_pytorch_tanh', 'gelu'] : ['silu']
  if (!wantAct.includes(String(act))) throw new LlmError(`hidden_act '${String(act)}' is not what llama.cpp's ${family} graph computes (${wantAct[0]})`, { where })
  for (const k of ['attention_bias', 'mlp_bias']) {
    if (json[k] === true && family !== 'qwen2') throw new LlmError(`'${k}: true' is not supported for GGUF ${family}`, { where })
  }
  const rs = json.rope_scaling as Json | null | undefined
  let ropeScaling: GgufModelConfig['ropeScaling']
  const kind = rs ? String(rs.rope_type ?? rs.type) : 'default'
  if (kind === 'llama3' && (family === 'llama' || family === 'mistral')) {
    ropeScaling = { type: 'llama3', factor: Number(rs!.factor ?? 8), lowFreqFactor: Number(rs!.low_freq_factor ?? 1), highFreqFactor: Number(rs!.high_freq_factor ?? 4), originalContext: Number(rs!.original_max_position_embeddings ?? 8192) }
  } else if (kind === 'linear') {
    ropeScaling = { type: 'linear', factor: Number(rs!.factor) }
  } else if (kind !== 'default') {
    throw new LlmError(`rope_scaling ${JSON.stringify(rs)} is not supported for GGUF`, { where, hint: 'supported: none, linear, llama3 (llama)' })
  }
  const partial = typeof json.partial_rotary_factor === 'number' ? json.partial_rotary_factor : 1
  return {
    family,
    vocabSize: int('vocab_size'),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads: int('num_key_value_heads', numHeads),
    headDim,
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    contextLength: int('max_position_embeddings', 2048),
    tieWordEmbeddings: json.tie_word_embeddings === true || (family === 'gemma' && json.tie_word_embeddings !== false),
    // convert_hf_to_gguf (Phi3Model): int(partial_rotary_factor · hidden) // heads
    ropeDims: family === 'phi3' ? Math.floor(Math.floor(partial * hiddenSize) / numHeads) : headDim,
    ropeScaling,
    slidingWindow: typeof json.sliding_window === 'number' ? json.sliding_window : undefined,
    originalContext: typeof json.original_max_position_embeddings === 'number' ? json.original_max_position_embeddings : undefined,
  }
}

const ARCH: Record<Family, string> = { llama: 'llama', mistral: 'llama', qwen2: 'qwen2', phi3: 'phi3', gemma: 'gemma' }

/**
 * HF q/k rows (rotate-half) → llama.cpp's interleaved rope order, per head of D rows:
 * GGUF row h·D + 2i + p = HF row h·D + p·D/2 + i (also for 1-D biases: cols = 1).
 */
export function permuteHalvesToInterleaved(w: Float32Array, heads: number, D: number, cols: number): Float32Array {
  const out = new Float32Array(w.length)
  const half = D / 2
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let p = 0; p < 2; p++) {
        const src = (h * D + p * half + i) * cols
        const dst = (h * D + 2 * i + p) * cols
        out.set(w.subarray(src, src + cols), dst)
      }
    }
  }
  return out
}

/** rope_freqs.weight for rope_scaling llama3 (conversion/llama.py generate_extra_tensors) */
function llama3RopeFactors(c: GgufModelConfig): Float32Array {
  const rs = c.ropeScaling as Extract<GgufModelConfig['ropeScaling'], { type: 'llama3' }>
  const dim = c.headDim
  const out = new Float32Array(dim / 2)
  const lowWavelen = rs.originalContext / rs.lowFreqFactor
  const highWavelen = rs.originalContext / rs.highFreqFactor
  for (let i = 0; i < dim / 2; i++) {
    const freq = Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / dim)))
    const wavelen = (2 * Math.PI) / freq
    if (wavelen < highWavelen) out[i] = 1
    else if (wavelen > lowWavelen) out[i] = rs.factor
    else {
      const smooth = (rs.originalContext / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor)
      out[i] = 1 / ((1 - smooth) / rs.factor + smooth)
    }
  }
  return out
}

/** HF tensor name → GGUF name (undefined: not carried over). */
function ggufName(hf: string): string | undefined {
  const top: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' }
  if (top[hf]) return top[hf]
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf)
  if (!m) return undefined
  const per: Record<string, string> = {
    'input_layernorm.weight': 'attn_norm.weight', 'post_attention_layernorm.weight': 'ffn_norm.weight',
    'self_attn.q_proj.weight': 'attn_q.weight', 'self_attn.k_proj.weight': 'attn_k.weight', 'self_attn.v_proj.weight': 'attn_v.weight',
    'self_attn.q_proj.bias': 'attn_q.bias', 'self_attn.k_proj.bias': 'attn_k.bias', 'self_attn.v_proj.bias': 'attn_v.bias',
    'self_attn.o_proj.weight': 'attn_output.weight', 'self_attn.qkv_proj.weight': 'attn_qkv.weight',
    'mlp.gate_proj.weight': 'ffn_gate.weight', 'mlp.up_proj.weight': 'ffn_up.weight', 'mlp.down_proj.weight': 'ffn_down.weight',
    'mlp.gate_up_proj.weight': 'ffn_up.weight',
  }
  const name = per[m[2]!]
  return name === undefined ? undefined : `blk.${m[1]}.${name}`
}

function hparams(c: GgufModelConfig, name: string, outtype: GgmlType): Map<string, GgufValue> {
  const a = ARCH[c.family]
  const md = new Map<string, GgufValue>([
    ['general.architecture', gg.str(a)],
    ['general.name', gg.str(name)],
    ['general.file_type', gg.u32(LLAMA_FTYPE[outtype])],
    ['general.quantization_version', gg.u32(2)],
    [`${a}.vocab_size`, gg.u32(c.vocabSize)],
    [`${a}.context_length`, gg.u32(c.contextLength)],
    [`${a}.embedding_length`, gg.u32(c.hiddenSize)],
    [`${a}.block_count`, gg.u32(c.numLayers)],
    [`${a}.feed_forward_length`, gg.u32(c.intermediateSize)],
    [`${a}.attention.head_count`, gg.u32(c.numHeads)],
    [`${a}.attention.head_count_kv`, gg.u32(c.numKvHeads)],
    [`${a}.attention.layer_norm_rms_epsilon`, gg.f32(c.rmsNormEps)],
    [`${a}.attention.key_length`, gg.u32(c.headDim)],
    [`${a}.attention.value_length`, gg.u32(c.headDim)],
    [`${a}.rope.freq_base`, gg.f32(c.ropeTheta)],
    [`${a}.rope.dimension_count`, gg.u32(c.ropeDims)],
  ])
  if (c.ropeScaling?.type === 'linear') {
    md.set(`${a}.rope.scaling.type`, gg.str('linear'))
    md.set(`${a}.rope.scaling.factor`, gg.f32(c.ropeScaling.factor))
  }
  if (c.family === 'phi3') {
    md.set(`${a}.rope.scaling.original_context_length`, gg.u32(c.originalContext ?? c.contextLength))
    md.set(`${a}.attention.sliding_window`, gg.u32(c.slidingWindow ?? 0))
  }
  return md
}

export interface GgufConvertOptions {
  src: string
  out: string
  outtype?: GgufOuttype
  force?: boolean
}

export interface GgufConvertResult {
  file: string
  bytes: number
  architecture: string
  family: string
  outtype: GgufOuttype
  tensors: number
  parameters: number
  vocabSize: number
  tokenizer: string
  notes: string[]
}

export function convertToGguf(opts: GgufConvertOptions): GgufConvertResult {
  const src = resolve(opts.src)
  const out = resolve(opts.out)
  const outtype = opts.outtype ?? 'f16'
  if (!GGUF_OUTTYPES.includes(outtype)) throw usageError(`unknown --outtype '${outtype}'`, { where: '--outtype', hint: `one of ${GGUF_OUTTYPES.join(', ')}` })
  if (!existsSync(src) || !statSync(src).isDirectory()) throw usageError('not a Hugging Face model folder', { where: src, hint: 'give a folder with config.json, model.safetensors and tokenizer.json' })
  if (existsSync(out) && !opts.force) throw usageError('file exists', { where: out, hint: 'pass --force to replace it, or choose another --out' })
  if (existsSync(out) && statSync(out).isDirectory()) throw usageError('is a folder: --to gguf writes one file', { where: out, hint: 'give a file name ending in .gguf' })

  const configFile = join(src, 'config.json')
  const json = readJsonFile(configFile)
  const c = readGgufModelConfig(json, configFile)
  const weights = readModelWeights(src)
  const vocab = ggufVocab(src, c.vocabSize, json)
  const qtype: GgmlType = outtype === 'f32' ? 'F32' : outtype === 'f16' ? 'F16' : outtype === 'q8_0' ? 'Q8_0' : 'Q4_0'
  const notes = [...vocab.notes]
  if ((c.family === 'mistral' || c.family === 'qwen2') && c.slidingWindow && c.slidingWindow < c.contextLength && json.use_sliding_window !== false) {
    notes.push(`sliding_window ${c.slidingWindow} is not carried over (llama.cpp's ${ARCH[c.family]} graph attends to the whole context, as convert_hf_to_gguf.py's output does)`)
  }

  const tensors: GgufTensor[] = []
  let parameters = 0
  const fallbacks = new Set<string>()
  const add = (name: string, shape: number[], data: Float32Array) => {
    const type: GgmlType = shape.length === 1 || !name.endsWith('.weight') ? 'F32'
      : fitsType(shape[shape.length - 1]!, qtype) ? qtype : (fallbacks.add(name), 'F16')
    tensors.push({ name, shape, type, data: encodeTensor(data, type) })
  }
  if (c.ropeScaling?.type === 'llama3') add('rope_freqs.weight', [c.headDim / 2], llama3RopeFactors(c))
  const seen = new Set<string>()
  for (const [hf, t] of weights) {
    const name = ggufName(hf)
    if (name === undefined) {
      if (hf.endsWith('rotary_emb.inv_freq')) continue
      throw new LlmError(`tensor '${hf}' has no GGUF counterpart for ${c.family}`, { where: src })
    }
    if (hf === 'lm_head.weight' && c.tieWordEmbeddings) continue
    seen.add(name)
    parameters += t.data.length
    add(name, t.shape, transform(c, hf, t))
  }
  if (!seen.has('token_embd.weight')) throw new LlmError(`weight 'model.embed_tokens.weight' is missing`, { where: src })
  // llama.cpp's phi3 graph reads output.weight: tied phi3 models get a copy of the embeddings
  if (c.family === 'phi3' && !seen.has('output.weight')) add('output.weight', weights.get('model.embed_tokens.weight')!.shape, tensorToFloat32(weights.get('model.embed_tokens.weight')!))
  if (!c.tieWordEmbeddings && !seen.has('output.weight')) throw new LlmError(`weight 'lm_head.weight' is missing (tie_word_embeddings is false)`, { where: src })
  if (fallbacks.size) notes.push(`${fallbacks.size} tensor(s) have rows that are not a multiple of 32 and were written as f16 (e.g. ${[...fallbacks][0]})`)

  const metadata = hparams(c, modelName(src, vocab.metadata), qtype)
  for (const [k, v] of vocab.metadata) metadata.set(k, v)
  const parts = encodeGguf(metadata, tensors)
  writeFileAtomic(out, parts)
  return {
    file: out, bytes: parts.reduce((a, p) => a + p.byteLength, 0), architecture: ARCH[c.family], family: c.family, outtype,
    tensors: tensors.length, parameters, vocabSize: c.vocabSize, tokenizer: vocab.model, notes,
  }
}

/**
 * general.name: the folder's name. llama.cpp sets Phi-3 token attributes by looking up '<unk>',
 * '<s>', '</s>' and '<|endoftext|>' whenever the name contains "phi3" or "phi-3" (llama-vocab.cpp),
 * and fails to load a vocabulary without them: such a name is written without the digit.
 */
function modelName(src: string, vocab: Map<string, GgufValue>): string {
  const name = basename(src)
  const tokens = new Set((vocab.get('tokenizer.ggml.tokens') as { value: readonly string[] }).value)
  const quirk = /phi-?3/i.test(name) && !['<unk>', '<s>', '</s>', '<|endoftext|>'].every((t) => tokens.has(t))
  return quirk ? name.replace(/phi(-?)3/gi, 'phi$1') : name
}

/** Per-family value changes on the way to GGUF (as float32). */
function transform(c: GgufModelConfig, hf: string, t: SafeTensor): Float32Array {
  const x = tensorToFloat32(t, hf)
  const expect = (shape: number[]) => {
    if (t.shape.join(',') !== shape.join(',')) throw new LlmError(`weight '${hf}' has shape [${t.shape.join(',')}], config.json implies [${shape.join(',')}]`)
  }
  if (c.family === 'llama' || c.family === 'mistral') {
    const cols = t.shape.length === 2 ? t.shape[1]! : 1
    if (/q_proj\.(weight|bias)$/.test(hf)) { expect(t.shape.length === 2 ? [c.numHeads * c.headDim, c.hiddenSize] : [c.numHeads * c.headDim]); return permuteHalvesToInterleaved(x, c.numHeads, c.headDim, cols) }
    if (/k_proj\.(weight|bias)$/.test(hf)) { expect(t.shape.length === 2 ? [c.numKvHeads * c.headDim, c.hiddenSize] : [c.numKvHeads * c.headDim]); return permuteHalvesToInterleaved(x, c.numKvHeads, c.headDim, cols) }
  }
  if (c.family === 'gemma' && hf.endsWith('norm.weight')) {
    const y = new Float32Array(x.length)
    for (let i = 0; i < x.length; i++) y[i] = x[i]! + 1
    return y
  }
  if (hf === 'model.embed_tokens.weight') expect([c.vocabSize, c.hiddenSize])
  // F16/BF16 inputs were widened into a fresh array; an F32 view of the file is fine as is
  return x
}
