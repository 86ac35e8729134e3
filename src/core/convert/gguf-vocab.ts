/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json + config.json) as GGUF
 * `tokenizer.ggml.*` metadata, following llama.cpp's convert_hf_to_gguf.py (get_vocab_base,
 * _set_vocab_gpt2) and gguf-py's SpecialVocab:
 *
 *  - byte-level BPE (GPT-2 / Llama 3 / Qwen2 / SmolLM):   model "gpt2", tokens, token types,
 *    merges, and `pre` naming llama.cpp's pre-tokenizer regex, found from tokenizer.json's
 *    pre_tokenizer (convert_hf_to_gguf hashes a test string instead; we read the pattern).
 *  - SentencePiece-style BPE (byte_fallback, ▁ for spaces: Llama 2, Mistral, TinyLlama, our
 *    llama2.c imports): model "llama" with scores. llama.cpp's SPM tokenizer merges the adjacent
 *    pair whose concatenation scores highest; a token made by merge rank r gets score −r, so it
 *    merges in the order tokenizer.json's merges do (gguf-py's LlamaHfVocab writes −1000 for
 *    every token, which loses that order).
 *  - character-level BPE without byte-level mapping or merges (the bundled model): written as
 *    "gpt2" with each token re-spelled in GPT-2's byte alphabet, so llama.cpp maps every
 *    character to the same id.
 * The vocabulary is padded to the model's vocab_size with `[PAD{i}]` (UNUSED), as the converter does.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../errors.js'
import { readJsonObject } from '../json.js'
import { toByteLevel as byteLevel } from '../../tokenizer/hf/chars.js'
import { gg, type GgufValue } from './gguf-file.js'

type Json = Record<string, unknown>

/** llama.cpp's llama_token_type */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const

/** The split patterns of the pre-tokenizers llama.cpp knows, by the name it knows them under. */
const KNOWN_SPLITS: Record<string, string> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'llama-bpe',
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'qwen2',
}

export interface GgufVocab {
  metadata: Map<string, GgufValue>
  /** 'gpt2' or 'llama' */
  model: string
  notes: string[]
}

/** Which llama.cpp pre-tokenizer reproduces tokenizer.json's pre_tokenizer (undefined: none does). */
function preTokenizerName(pre: Json | null | undefined): string | undefined {
  if (!pre) return undefined
  const parts = pre.type === 'Sequence' ? ((pre.pretokenizers as Json[] | undefined) ?? []) : [pre]
  const types = parts.map((p) => String(p.type))
  const byteLevelRegex = parts.some((p) => p.type === 'ByteLevel' && p.use_regex !== false)
  if (types.join() === 'ByteLevel' && byteLevelRegex) return 'gpt-2'
  if (types.join() === 'Digits,ByteLevel' && parts[0]!.individual_digits === true && byteLevelRegex) return 'smollm'
  const split = parts.find((p) => p.type === 'Split')
  const regex = (split?.pattern as Json | undefined)?.Regex
  if (typeof regex === 'string' && types.join() === 'Split,ByteLevel' && !byteLevelRegex) return KNOWN_SPLITS[regex]
  return undefined
}

/** BPE merges as llama.cpp stores them: "left right" (a space inside a part spelled as U+0120). */
function mergeStrings(merges: unknown, respell: (s: string) => string = (s) => s): string[] {
  if (!Array.isArray(merges)) return []
  return merges.map((m) => {
    const [a, b] = typeof m === 'string' ? [m.slice(0, m.indexOf(' ', 1)), m.slice(m.indexOf(' ', 1) + 1)] : (m as string[])
    const fix = (s: string) => respell(s).replace(/ /g, '\u0120')
    return `${fix(a!)} ${fix(b!)}`
  })
}

export function ggufVocab(dir: string, vocabSize: number, config: Json): GgufVocab {
  const file = join(dir, 'tokenizer.json')
  if (!existsSync(file)) throw new LlmError('no tokenizer.json: GGUF needs the tokenizer inside the file', { where: dir })
  const tj = readJsonObject(file)
  const tc = existsSync(join(dir, 'tokenizer_config.json')) ? readJsonObject(join(dir, 'tokenizer_config.json')) : {}
  const model = (tj.model ?? {}) as Json
  if (model.type !== 'BPE') throw new LlmError(`tokenizer.json model type '${String(model.type)}' cannot be written to GGUF (only BPE)`, { where: file })
  const vocab = (model.vocab ?? {}) as Record<string, number>
  const added = ((tj.added_tokens ?? []) as { id: number; content: string; special?: boolean }[])
  const decoderType = (tj.decoder as Json | null | undefined)?.type
  const preType = (tj.pre_tokenizer as Json | null | undefined)?.type
  const isByteLevel = decoderType === 'ByteLevel' || preType === 'ByteLevel' || (preType === 'Sequence' && JSON.stringify(tj.pre_tokenizer).includes('"ByteLevel"'))
  const spm = model.byte_fallback === true
  const notes: string[] = []

  // id → text, with added tokens (they may extend the model's vocab)
  const text = new Map<number, string>()
  for (const [t, id] of Object.entries(vocab)) text.set(id, t)
  for (const a of added) text.set(a.id, a.content)
  const addedById = new Map(added.map((a) => [a.id, a]))
  const maxId = Math.max(-1, ...text.keys())
  if (maxId >= vocabSize) throw new LlmError(`tokenizer.json has token id ${maxId} but the model's vocab_size is ${vocabSize}`, { where: file })

  let kind: 'gpt2' | 'llama'
  let respell = (s: string) => s
  let merges: string[]
  if (spm) {
    kind = 'llama'
    merges = []
  } else if (isByteLevel) {
    kind = 'gpt2'
    merges = mergeStrings(model.merges)
  } else {
    // character-level BPE: llama.cpp's BPE works on GPT-2's byte alphabet, so re-spell
    if (Array.isArray(model.merges) && model.merges.length > 0) {
      throw new LlmError('a BPE tokenizer with merges but without byte-level encoding cannot be written to GGUF exactly', { where: file, hint: 'llama.cpp reads byte-level (GPT-2 style) or SentencePiece-style (byte_fallback) BPE' })
    }
    kind = 'gpt2'
    respell = byteLevel
    merges = []
    // multi-byte characters: merge their byte-level spellings back into one token, first
    for (const [t] of Object.entries(vocab)) {
      const s = byteLevel(t)
      const chars = Array.from(s)
      let acc = chars[0] ?? ''
      for (const c of chars.slice(1)) { merges.push(`${acc} ${c}`); acc += c }
    }
  }

  const tokens: string[] = []
  const types: number[] = []
  const scores: number[] = []
  const rank = new Map<string, number>()
  if (kind === 'llama') {
    mergeStrings(model.merges).forEach((m, r) => {
      const t = m.replace(' ', '').replace(/\u0120/g, ' ')
      if (!rank.has(t)) rank.set(t, r)
    })
  }
  const unk = typeof model.unk_token === 'string' ? model.unk_token : undefined
  for (let i = 0; i < vocabSize; i++) {
    const t = text.get(i)
    if (t === undefined) { tokens.push(`[PAD${i}]`); types.push(TOKEN_TYPE.UNUSED); scores.push(-1000); continue }
    const a = addedById.get(i)
    let type: number = TOKEN_TYPE.NORMAL
    if (a) type = a.special || /^<\|.*\|>$|^<unused\d*>$/.test(a.content) ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED
    if (kind === 'llama' && /^<0x[0-9A-Fa-f]{2}>$/.test(t)) type = TOKEN_TYPE.BYTE
    if (kind === 'llama' && t === unk) type = TOKEN_TYPE.UNKNOWN
    tokens.push(a || kind === 'llama' ? t : respell(t))
    types.push(type)
    scores.push(type === TOKEN_TYPE.NORMAL ? -(rank.get(t) ?? 0) : 0)
  }

  const md = new Map<string, GgufValue>()
  md.set('tokenizer.ggml.model', gg.str(kind))
  if (kind === 'gpt2') {
    const pre = respell === byteLevel ? 'default' : preTokenizerName(tj.pre_tokenizer as Json | null)
    if (pre === undefined) notes.push(`tokenizer.json's pre_tokenizer is not one llama.cpp knows: wrote 'default' (text may tokenize differently in llama.cpp)`)
    md.set('tokenizer.ggml.pre', gg.str(pre ?? 'default'))
  }
  md.set('tokenizer.ggml.tokens', gg.strs(tokens))
  if (kind === 'llama') md.set('tokenizer.ggml.scores', gg.f32s(scores))
  md.set('tokenizer.ggml.token_type', gg.i32s(types))
  if (kind === 'gpt2') md.set('tokenizer.ggml.merges', gg.strs(merges))
  if (kind === 'llama') {
    // llama.cpp's SPM tokenizer always escapes spaces as ▁; the prefix follows the normalizer
    const norm = JSON.stringify(tj.normalizer ?? null) + JSON.stringify(tj.pre_tokenizer ?? null)
    md.set('tokenizer.ggml.add_space_prefix', gg.bool(/"Prepend"|"prepend_scheme":"(first|always)"|"add_prefix_space":true/.test(norm)))
  }
  for (const [k, v] of specialTokens(tj, tc, config, added, vocabSize)) md.set(k, v)
  const template = chatTemplate(dir, tc)
  if (template !== undefined) md.set('tokenizer.chat_template', gg.str(template))
  return { metadata: md, model: kind, notes }
}

/** gguf-py SpecialVocab: ids from tokenizer_config.json's *_token strings, else config.json's *_token_id; add_bos/add_eos. */
function specialTokens(tj: Json, tc: Json, config: Json, added: { id: number; content: string }[], n: number): Map<string, GgufValue> {
  const out = new Map<string, GgufValue>()
  const content = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof (v as Json | null)?.content === 'string' ? ((v as Json).content as string) : undefined)
  for (const typ of ['bos', 'eos', 'unk', 'sep', 'pad']) {
    const c = content(tc[`${typ}_token`])
    let id = c === undefined ? undefined : added.find((a) => a.content === c)?.id
    if (id === undefined) {
      const fromConfig = config[`${typ}_token_id`]
      id = typeof fromConfig === 'number' ? fromConfig : Array.isArray(fromConfig) && typeof fromConfig[0] === 'number' ? (fromConfig[0] as number) : undefined
    }
    if (id !== undefined && id >= 0 && id < n) out.set(`tokenizer.ggml.${typ}_token_id`, gg.u32(id))
  }
  // What our tokenizer (and transformers' PreTrainedTokenizerFast) adds: the post-processor's
  // special tokens, unless tokenizer_config.json says otherwise. Written even when false: llama.cpp
  // would otherwise use its own default (true for SentencePiece and the llama-bpe pre-tokenizer).
  out.set('tokenizer.ggml.add_bos_token', gg.bool(false))
  out.set('tokenizer.ggml.add_eos_token', gg.bool(false))
  // TemplateProcessing: a leading special token is BOS, a trailing one EOS (SpecialVocab's crude parse)
  const pp = tj.post_processor as Json | null | undefined
  const procs = pp ? ((pp.processors as Json[] | undefined) ?? [pp]) : []
  for (const p of procs) {
    if (p.type !== 'TemplateProcessing') continue
    const single = (p.single ?? []) as Json[]
    if (single.length > 1) {
      const first = (single[0]!.SpecialToken as Json | undefined)?.id
      const last = (single[single.length - 1]!.SpecialToken as Json | undefined)?.id
      if (first !== undefined) out.set('tokenizer.ggml.add_bos_token', gg.bool(true))
      if (last !== undefined) out.set('tokenizer.ggml.add_eos_token', gg.bool(true))
    }
  }
  for (const typ of ['bos', 'eos']) {
    const v = tc[`add_${typ}_token`]
    if (typeof v === 'boolean') out.set(`tokenizer.ggml.add_${typ}_token`, gg.bool(v))
  }
  return out
}

function chatTemplate(dir: string, tc: Json): string | undefined {
  const t = tc.chat_template
  if (typeof t === 'string') return t
  if (Array.isArray(t)) return (t.find((x: Json) => x.name === 'default') ?? t[0])?.template as string | undefined
  const jinja = join(dir, 'chat_template.jinja')
  return existsSync(jinja) ? readFileSync(jinja, 'utf8') : undefined
}
