/**
 * Read a llama2.c checkpoint (karpathy/llama2.c `export.py`) into Hugging Face Llama weights.
 *
 * Two float32 layouts:
 *  - legacy (v0): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
 *    negative vocab_size = separate classifier), then token embeddings, attention norms, wq, wk,
 *    wv, wo, ffn norms, w1, w2, w3 (each for all layers in turn), final norm, the RoPE tables
 *    freq_cis_real/imag (seq_len × head_size/2 each, unused), and the classifier when not shared.
 *  - version 1: a 256-byte header (uint32 magic "ak42" = 0x616b3432, int32 version, the same 7
 *    ints, uint8 shared_classifier, zero padding), then attention norms, ffn norms, final norm,
 *    embeddings, wq, wk, wv, wo, w1, w2, w3 (all layers each) and the classifier if not shared.
 * Matrices are PyTorch nn.Linear [out, in]. w1 = gate_proj, w2 = down_proj, w3 = up_proj.
 *
 * llama2.c applies RoPE to interleaved pairs (2i, 2i+1) of each head; Hugging Face Llama rotates
 * halves (i, i + D/2). As transformers' convert_llama_weights_to_hf.py does, the rows of wq and wk
 * are permuted per head so that the rotate-half model computes exactly the same function.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { LlmError, fileError } from '../errors.js'
import type { SafeTensor } from '../safetensors.js'
import { newLlamaConfigJson } from '../../kernels/model/index.js'

const LLAMA2C_MAGIC = 0x616b3432

export interface Llama2cCheckpoint {
  version: 0 | 1
  /** a transformers LlamaConfig */
  configJson: Record<string, unknown>
  header: Header
  /** Hugging Face names, q/k permuted to rotate-half order */
  weights: Map<string, SafeTensor>
}

interface Header { dim: number; hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; seqLen: number; shared: boolean }

function parseHeader(ints: Int32Array, shared: boolean | undefined, file: string): Header {
  const [dim, hidden, layers, heads, kvHeads, vocabSigned, seqLen] = ints
  const h = { dim, hidden, layers, heads, kvHeads, vocab: Math.abs(vocabSigned), seqLen, shared: shared ?? vocabSigned > 0 }
  const sane = (v: number) => Number.isInteger(v) && v > 0 && v < 1 << 24
  const problem = !Object.values(h).filter((v) => typeof v === 'number').every(sane) ? 'a header value is out of range'
    : dim % heads !== 0 ? `dim ${dim} is not a multiple of n_heads ${heads}`
    : heads % kvHeads !== 0 ? `n_heads ${heads} is not a multiple of n_kv_heads ${kvHeads}`
    : (dim / heads) % 2 !== 0 ? `head size ${dim / heads} is odd`
    : undefined
  if (problem) {
    throw new LlmError(`not a llama2.c checkpoint: ${problem} (header ${Array.from(ints).join(', ')})`, { where: file, hint: 'expected a float32 .bin from llama2.c export.py (legacy or --version 1)' })
  }
  return h
}

/** Tensors in file order as [name, shape] (names are llama2.c's, resolved to HF later). */
function layout(h: Header, version: 0 | 1): [string, number[]][] {
  const { dim: C, hidden: F, layers: L, heads: H, kvHeads: KV, vocab: V, seqLen } = h
  const D = C / H
  const perLayer = (name: string, shape: number[]) => Array.from({ length: L }, (_, i) => [`${name}.${i}`, shape] as [string, number[]])
  const attn = [
    ...perLayer('wq', [H * D, C]), ...perLayer('wk', [KV * D, C]), ...perLayer('wv', [KV * D, C]), ...perLayer('wo', [C, H * D]),
  ]
  const ffn = [...perLayer('w1', [F, C]), ...perLayer('w2', [C, F]), ...perLayer('w3', [F, C])]
  const cls: [string, number[]][] = h.shared ? [] : [['wcls', [V, C]]]
  if (version === 0) {
    return [
      ['tok', [V, C]], ...perLayer('rms_att', [C]), ...attn, ...perLayer('rms_ffn', [C]), ...ffn, ['rms_final', [C]],
      ['freq_cis_real', [seqLen, D / 2]], ['freq_cis_imag', [seqLen, D / 2]], ...cls,
    ]
  }
  return [...perLayer('rms_att', [C]), ...perLayer('rms_ffn', [C]), ['rms_final', [C]], ['tok', [V, C]], ...attn, ...ffn, ...cls]
}

/** llama2.c name → Hugging Face name (undefined: not carried over) */
function hfName(name: string): string | undefined {
  const [base, layer] = name.split('.')
  const L = `model.layers.${layer}.`
  switch (base) {
    case 'tok': return 'model.embed_tokens.weight'
    case 'rms_final': return 'model.norm.weight'
    case 'wcls': return 'lm_head.weight'
    case 'rms_att': return `${L}input_layernorm.weight`
    case 'rms_ffn': return `${L}post_attention_layernorm.weight`
    case 'wq': return `${L}self_attn.q_proj.weight`
    case 'wk': return `${L}self_attn.k_proj.weight`
    case 'wv': return `${L}self_attn.v_proj.weight`
    case 'wo': return `${L}self_attn.o_proj.weight`
    case 'w1': return `${L}mlp.gate_proj.weight`
    case 'w2': return `${L}mlp.down_proj.weight`
    case 'w3': return `${L}mlp.up_proj.weight`
    default: return undefined
  }
}

/**
 * Reorder the rows of a q/k projection [heads·D, C] from interleaved RoPE pairs to rotate-half
 * halves: within each head, new row p·D/2 + i = old row 2i + p (p ∈ {0, 1}).
 * (transformers: w.view(heads, D/2, 2, C).transpose(1, 2).reshape(heads·D, C))
 */
export function permuteInterleavedToHalves(w: Float32Array, heads: number, D: number, cols: number): Float32Array {
  const out = new Float32Array(w.length)
  const half = D / 2
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let p = 0; p < 2; p++) {
        const src = (h * D + 2 * i + p) * cols
        const dst = (h * D + p * half + i) * cols
        out.set(w.subarray(src, src + cols), dst)
      }
    }
  }
  return out
}

function readAt(fd: number, bytes: number, position: number): Uint8Array {
  const buf = new Uint8Array(bytes)
  let got = 0
  while (got < bytes) {
    const n = readSync(fd, buf, got, bytes - got, position + got)
    if (n === 0) break
    got += n
  }
  return buf
}

export function readLlama2cCheckpoint(file: string): Llama2cCheckpoint {
  let fd: number
  try { fd = openSync(file, 'r') } catch (err) { throw fileError(file, err) }
  try {
    const size = fstatSync(fd).size
    if (size < 28) throw new LlmError(`not a llama2.c checkpoint: ${size} bytes, shorter than its 28-byte header`, { where: file })
    const first = new DataView(readAt(fd, 4, 0).buffer).getUint32(0, true)
    let version: 0 | 1 = 0
    let h: Header
    let offset: number
    if (first === LLAMA2C_MAGIC) {
      if (size < 256) throw new LlmError(`llama2.c v1 checkpoint is ${size} bytes, shorter than its 256-byte header`, { where: file })
      const head = new DataView(readAt(fd, 256, 0).buffer)
      const v = head.getInt32(4, true)
      if (v !== 1) {
        throw new LlmError(`llama2.c checkpoint version ${v} is not supported`, { where: file, hint: v === 2 ? 'version 2 is int8-quantised (Q8_0); export with --version 1 or 0' : 'supported: legacy (0) and 1' })
      }
      const ints = new Int32Array(7)
      for (let i = 0; i < 7; i++) ints[i] = head.getInt32(8 + 4 * i, true)
      h = parseHeader(ints, head.getUint8(36) === 1, file)
      version = 1
      offset = 256
    } else {
      h = parseHeader(new Int32Array(readAt(fd, 28, 0).buffer), undefined, file)
      offset = 28
    }
    const tensors = layout(h, version)
    const expected = offset + 4 * tensors.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0)
    if (size !== expected) {
      const desc = `dim ${h.dim}, hidden ${h.hidden}, ${h.layers} layers, ${h.heads} heads, ${h.kvHeads} kv heads, vocab ${h.vocab}, seq_len ${h.seqLen}, ${h.shared ? 'shared' : 'separate'} classifier`
      throw new LlmError(`${size < expected ? 'truncated' : 'oversized'} llama2.c checkpoint: expected ${expected} bytes for its header (${desc}), found ${size}`, { where: file, hint: size < expected ? 're-download or re-export the file' : 'is it an int8 or differently laid out export?' })
    }
    const D = h.dim / h.heads
    const weights = new Map<string, SafeTensor>()
    for (const [name, shape] of tensors) {
      const n = shape.reduce((a, b) => a * b, 1)
      const bytes = readAt(fd, 4 * n, offset)
      offset += 4 * n
      const hf = hfName(name)
      if (!hf) continue
      let data = new Float32Array(bytes.buffer)
      if (name.startsWith('wq.')) data = permuteInterleavedToHalves(data, h.heads, D, h.dim)
      if (name.startsWith('wk.')) data = permuteInterleavedToHalves(data, h.kvHeads, D, h.dim)
      weights.set(hf, { dtype: 'F32', shape, data })
    }
    const configJson = newLlamaConfigJson({
      vocabSize: h.vocab, hiddenSize: h.dim, intermediateSize: h.hidden, numLayers: h.layers, numHeads: h.heads,
      numKvHeads: h.kvHeads,
      // run.c: rmsnorm eps 1e-5, RoPE base 10000 (both hard-coded there)
      rmsNormEps: 1e-5, ropeTheta: 10000,
      tieWordEmbeddings: h.shared, maxPositionEmbeddings: h.seqLen,
      // llama2.c's sentencepiece tokenizers: <unk>=0, <s>=1, </s>=2
      bosTokenId: 1, eosTokenId: 2,
    })
    return { version, configJson, weights, header: h }
  } catch (err) {
    throw fileError(file, err)
  } finally {
    closeSync(fd)
  }
}
