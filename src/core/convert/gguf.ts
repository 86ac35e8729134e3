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
import { basename, resolve } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { tensorToFloat32, type SafeTensor } from '../safetensors.js'
import { Checkpoint } from '../model/checkpoint.js'
import { defaultInvFreq } from '../../kernels/model/rope.js'
import type { Family, ModelConfig } from '../../kernels/model/config.js'
import { encodeGguf, encodeTensor, fitsType, gg, LLAMA_FTYPE, type GgmlType, type GgufTensor, type GgufValue } from './gguf-file.js'
import { ggufVocab } from './gguf-vocab.js'
import { GGUF_OUTTYPES } from './sources.js'

export { GGUF_OUTTYPES }
export type GgufOuttype = (typeof GGUF_OUTTYPES)[number]

const ARCH: Record<Family, string> = { llama: 'llama', mistral: 'llama', qwen2: 'qwen2', phi3: 'phi3', gemma: 'gemma' }

/** What the GGUF metadata needs, from the project's one config reader (kernels/model/config.ts). */
interface GgufModelConfig extends Omit<ModelConfig, 'rope'> {
  ropeTheta: number
  /** rotary dims of a head (phi3 partial_rotary_factor), else headDim */
  ropeDims: number
  /** llama3: llama.cpp's rope_freqs factors (default inv_freq / scaled inv_freq); linear: the factor */
  ropeScaling?: { type: 'llama3'; factors: Float32Array } | { type: 'linear'; factor: number }
  originalContext?: number
}

function ggufModelConfig(c: ModelConfig, json: Record<string, unknown>): GgufModelConfig {
  const { rope, ...rest } = c
  const base = defaultInvFreq(rope.theta, rope.rotaryDim)
  const ropeScaling: GgufModelConfig['ropeScaling'] = rope.kind === 'llama3'
    ? { type: 'llama3', factors: Float32Array.from(base, (b, j) => b / rope.invFreq[j]!) }
    : rope.kind === 'linear' ? { type: 'linear', factor: base[0]! / rope.invFreq[0]! } : undefined
  return {
    ...rest, ropeTheta: rope.theta, ropeDims: rope.rotaryDim, ropeScaling,
    originalContext: typeof json.original_max_position_embeddings === 'number' ? json.original_max_position_embeddings : undefined,
  }
}

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
    [`${a}.context_length`, gg.u32(c.maxPositionEmbeddings)],
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
    md.set(`${a}.rope.scaling.original_context_length`, gg.u32(c.originalContext ?? c.maxPositionEmbeddings))
    md.set(`${a}.attention.sliding_window`, gg.u32(0))
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

  const ckpt = Checkpoint.open(src)
  const json = ckpt.configJson
  const c = ggufModelConfig(ckpt.config, json)
  if (c.oBias || c.mlpBias) throw new LlmError(`${c.oBias ? 'attention_bias' : 'mlp_bias'}: llama.cpp's ${ARCH[c.family]} graph has no slot for o_proj / MLP biases`, { where: src })
  const vocab = ggufVocab(src, c.vocabSize, json)
  const qtype: GgmlType = outtype === 'f32' ? 'F32' : outtype === 'f16' ? 'F16' : outtype === 'q8_0' ? 'Q8_0' : 'Q4_0'
  const notes = [...vocab.notes]
  const window = Math.max(...c.slidingWindows)
  if (window > 0 && window < c.maxPositionEmbeddings) {
    notes.push(`sliding_window ${window} is not carried over (llama.cpp's ${ARCH[c.family]} graph attends to the whole context, as convert_hf_to_gguf.py's output does)`)
  }

  const tensors: GgufTensor[] = []
  let parameters = 0
  const fallbacks = new Set<string>()
  const add = (name: string, shape: number[], data: Float32Array) => {
    const type: GgmlType = shape.length === 1 || !name.endsWith('.weight') ? 'F32'
      : fitsType(shape[shape.length - 1]!, qtype) ? qtype : (fallbacks.add(name), 'F16')
    tensors.push({ name, shape, type, data: encodeTensor(data, type) })
  }
  if (c.ropeScaling?.type === 'llama3') add('rope_freqs.weight', [c.ropeDims / 2], c.ropeScaling.factors)
  const seen = new Set<string>()
  for (const hf of ckpt.shapes.keys()) {
    const t = ckpt.get(hf)!
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
  if (c.family === 'phi3' && !seen.has('output.weight')) add('output.weight', [c.vocabSize, c.hiddenSize], ckpt.float32('model.embed_tokens.weight'))
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

/** Per-family value changes on the way to GGUF (as float32; shapes were checked by Checkpoint.open). */
function transform(c: GgufModelConfig, hf: string, t: SafeTensor): Float32Array {
  const x = tensorToFloat32(t, hf)
  if (c.family === 'llama' || c.family === 'mistral') {
    const cols = t.shape.length === 2 ? t.shape[1]! : 1
    if (/q_proj\.(weight|bias)$/.test(hf)) return permuteHalvesToInterleaved(x, c.numHeads, c.headDim, cols)
    if (/k_proj\.(weight|bias)$/.test(hf)) return permuteHalvesToInterleaved(x, c.numKvHeads, c.headDim, cols)
  }
  if (c.family === 'gemma' && hf.endsWith('norm.weight')) {
    const y = new Float32Array(x.length)
    for (let i = 0; i < x.length; i++) y[i] = x[i]! + 1
    return y
  }
  // F16/BF16 inputs were widened into a fresh array; an F32 view of the file is fine as is
  return x
}
