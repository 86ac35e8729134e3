/**
 * Builds test/fixtures/tokenizer/families/*.json: small tokenizer.json files in the exact pipeline
 * shape of the tokenizers that ship with the model families users pull, with vocabularies
 * trained here from ../shared/data text (deterministic). The normalizer / pre_tokenizer /
 * post_processor / decoder / added_tokens blocks are what transformers' converters
 * (convert_slow_tokenizer.py: TikTokenConverter, GPT2Converter, Qwen2Converter, LlamaConverter,
 * GemmaConverter) and the released files write; only the vocab and merges are small.
 *
 *   npx tsx scripts/build-tokenizer-families.ts      (rewrites the fixtures; commit them)
 *
 * Byte-level BPE (Llama 3, SmolLM2, Qwen2): trained with our byte-level trainer under each
 * family's split pattern. SentencePiece-style BPE (Llama 2 / TinyLlama / Mistral v0.1, Mistral
 * v0.3, Phi-3, Gemma): a character-level BPE over "▁"-joined words trained below; merges are then
 * derived from piece scores as LlamaConverter/GemmaConverter do (mergesFromScores).
 * test/tokenizer/hf/families.test.ts checks every fixture id for id against npm `tokenizers`.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PieceCounter, trainBpe } from '../src/tokenizer/train/index.js'
import { mergesFromScores } from '../src/tokenizer/sentencepiece/to-hf.js'
import { BYTE_TO_CHAR } from '../src/tokenizer/hf/chars.js'
import { HARD_TEXTS } from '../test/fixtures/tokenizer/hard-texts.js'

type Json = Record<string, unknown>
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const shared = resolve(repo, '../shared')
const outDir = join(repo, 'test/fixtures/tokenizer/families')

/** ~250 KB of English and French prose plus the hard texts (so some of their characters are known) */
function corpus(): string {
  const read = (p: string, n: number): string => readFileSync(join(shared, p), 'utf8').slice(0, n)
  return [
    read('data/tinyshakespeare/input.txt', 90_000),
    read('data/instruct/wiki_demo.txt', 90_000),
    read('data/translation/flores200/fra_Latn.devtest', 40_000),
    read('data/translation/flores200/eng_Latn.devtest', 20_000),
    HARD_TEXTS.slice(0, 12).join('\n'),
  ].join('\n')
}

const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

const added = (id: number, content: string, o: { special?: boolean; rstrip?: boolean; normalized?: boolean } = {}): Json =>
  ({ id, content, single_word: false, lstrip: false, rstrip: o.rstrip ?? false, normalized: o.normalized ?? false, special: o.special ?? true })
const byteLevel = (addPrefixSpace: boolean, trimOffsets: boolean, useRegex: boolean): Json =>
  ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: trimOffsets, use_regex: useRegex })
const split = (pattern: string): Json => ({ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false })
const template = (bos: string, bosId: number): Json => ({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
  pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
})
const tokenizerJson = (addedTokens: Json[], normalizer: Json | null, preTokenizer: Json | null, postProcessor: Json | null, decoder: Json, model: Json): Json =>
  ({ version: '1.0', truncation: null, padding: null, added_tokens: addedTokens, normalizer, pre_tokenizer: preTokenizer, post_processor: postProcessor, decoder, model })

// ---- byte-level BPE ----------------------------------------------------------------------------

/** a byte-level vocab (GPT-2 spelling) and merges trained under `pattern`; ids start at `first` */
function byteLevelBpe(pattern: string, merges: number, first: number): { vocab: Record<string, number>; merges: [string, string][]; next: number } {
  const counter = new PieceCounter(pattern)
  counter.add(corpus(), false)
  const r = trainBpe(counter, { vocabSize: 256 + merges, pattern, minFrequency: 2 })
  const vocab: Record<string, number> = {}
  let next = first
  for (const t of r.vocab) if (!(t in vocab)) vocab[t] = next++
  return { vocab, merges: r.merges.map(([a, b]) => [r.vocab[a]!, r.vocab[b]!]), next }
}

const bpeModel = (vocab: Record<string, number>, merges: [string, string][], o: Json): Json =>
  ({ type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, ...o, vocab, merges })

const gpt2Spelling = (s: string): string => Array.from(Buffer.from(s, 'utf8'), (b) => BYTE_TO_CHAR[b]!).join('')

/** Llama 3 / 3.1 / 3.2 (TikTokenConverter): Split + ByteLevel, ignore_merges, BOS template */
function llama3(): Json {
  const { vocab, merges, next } = byteLevelBpe(LLAMA3_PATTERN, 700, 0)
  let id = next
  // whole words with no merge that builds them: only ignore_merges emits them whole
  for (const w of [' tokenizer', ' Tokenizers', ' tokenization', ' parity']) { const g = gpt2Spelling(w); if (!(g in vocab)) vocab[g] = id++ }
  const names = ['<|begin_of_text|>', '<|end_of_text|>', '<|reserved_special_token_0|>', '<|reserved_special_token_1|>', '<|finetune_right_pad_id|>', '<|step_id|>', '<|start_header_id|>', '<|end_header_id|>', '<|eom_id|>', '<|eot_id|>', '<|python_tag|>']
  const specials = names.map((n) => added(id++, n))
  return tokenizerJson(specials, null,
    { type: 'Sequence', pretokenizers: [split(LLAMA3_PATTERN), byteLevel(false, true, false)] },
    { type: 'Sequence', processors: [byteLevel(true, false, true), template('<|begin_of_text|>', specials[0]!.id as number)] },
    byteLevel(true, true, true),
    bpeModel(vocab, merges, { ignore_merges: true }))
}

/** SmolLM2 (GPT2Converter on the SmolLM tokenizer): Digits(individual) + ByteLevel(regex), specials first */
function smollm2(): Json {
  const names = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<repo_name>', '<reponame>', '<file_sep>', '<filename>', '<gh_stars>', '<issue_start>', '<issue_comment>', '<issue_closed>', '<jupyter_start>', '<jupyter_text>', '<jupyter_code>', '<jupyter_output>', '<jupyter_script>', '<empty_output>']
  const { vocab, merges } = byteLevelBpe(GPT2_PATTERN, 600, names.length)
  names.forEach((n, i) => { vocab[n] = i })
  return tokenizerJson(names.map((n, i) => added(i, n)), null,
    { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(false, true, true)] },
    byteLevel(true, false, true),
    byteLevel(true, true, true),
    bpeModel(vocab, merges, {}))
}

/** Qwen2 / Qwen2.5 (Qwen2Converter): NFC, Split(single digits) + ByteLevel, no BOS; some added tokens not special */
function qwen2(): Json {
  const { vocab, merges, next } = byteLevelBpe(QWEN2_PATTERN, 650, 0)
  let id = next
  const toks = [
    ...['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|object_ref_start|>', '<|object_ref_end|>', '<|box_start|>', '<|box_end|>', '<|vision_pad|>'].map((n) => added(id++, n)),
    ...['<tool_call>', '</tool_call>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|repo_name|>', '<|file_sep|>'].map((n) => added(id++, n, { special: false })),
  ]
  return tokenizerJson(toks, { type: 'NFC' },
    { type: 'Sequence', pretokenizers: [split(QWEN2_PATTERN), byteLevel(false, false, false)] },
    byteLevel(false, false, false),
    byteLevel(false, false, false),
    bpeModel(vocab, merges, { continuing_subword_prefix: '', end_of_word_suffix: '' }))
}

// ---- SentencePiece-style BPE ---------------------------------------------------------------------

const SP = '\u2581'

/**
 * Character-level BPE over SentencePiece-normalized words ("▁" for each space, a word starting
 * at each "▁"): the pieces in creation order, best first. Ties: higher count, then the pair's text.
 */
function spPieces(text: string, merges: number, maxChars: number): { chars: string[]; merged: string[] } {
  const norm = SP + text.replaceAll(' ', SP)
  const words = new Map<string, number>()
  for (const w of norm.split(new RegExp(`(?=${SP})|\\n+`, 'u'))) if (w) words.set(w, (words.get(w) ?? 0) + 1)
  const charCount = new Map<string, number>()
  for (const [w, c] of words) for (const ch of w) charCount.set(ch, (charCount.get(ch) ?? 0) + c)
  const chars = [...charCount].filter(([, c]) => c >= 2).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxChars).map(([ch]) => ch)
  const inVocab = new Set(chars)
  let segs = [...words].map(([w, c]) => ({ s: Array.from(w), c }))
  const merged: string[] = []
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>()
    for (const { s, c } of segs) {
      for (let i = 0; i + 1 < s.length; i++) {
        if (!inVocab.has(s[i]!) || !inVocab.has(s[i + 1]!)) continue
        const k = s[i] + '\u0000' + s[i + 1]
        pairs.set(k, (pairs.get(k) ?? 0) + c)
      }
    }
    let best = ''
    let bestCount = 1
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && k < best)) { best = k; bestCount = c }
    if (!best) break
    const [l, r] = best.split('\u0000') as [string, string]
    merged.push(l + r)
    inVocab.add(l + r)
    segs = segs.map(({ s, c }) => {
      const out: string[] = []
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === l && s[i + 1] === r) { out.push(l + r); i++ } else out.push(s[i]!)
      }
      return { s: out, c }
    })
  }
  return { chars, merged }
}

/** vocab + merges of a SentencePiece BPE model laid out as Llama's (or Gemma's) converter writes it */
function spModel(head: string[], extra: string[], tab: boolean, merges: number): { vocab: Record<string, number>; merges: [string, string][]; pieces: string[] } {
  const { chars, merged } = spPieces(corpus(), merges, 160)
  const bytes = Array.from({ length: 256 }, (_, b) => (tab && b === 9 ? '\t' : `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`))
  const pieces: string[] = [...head, ...bytes, ...extra]
  const seen = new Set(pieces)
  // SentencePiece order: bytes, merged pieces by score, then the characters
  for (const p of [...merged, ...chars]) if (!seen.has(p)) { seen.add(p); pieces.push(p) }
  const firstMerged = head.length + 256 + extra.length
  const scores = pieces.map((_, i) => (i < firstMerged ? 0 : -(i - firstMerged)))
  const vocab: Record<string, number> = {}
  pieces.forEach((p, i) => { vocab[p] = i })
  const skip = new Set([...head, ...bytes.filter((b) => b.startsWith('<0x'))])
  const ms = mergesFromScores(pieces, scores).filter(([l, r]) => !skip.has(l) && !skip.has(r) && !skip.has(l + r)).map(([l, r]): [string, string] => [l, r])
  return { vocab, merges: ms, pieces }
}

const spBpe = (vocab: Record<string, number>, merges: [string, string][], unk: string): Json =>
  ({ type: 'BPE', dropout: null, unk_token: unk, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges })
const llamaDecoder = (): Json => ({ type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: SP }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] })
const legacyNormalizer = (): Json => ({ type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SP }, { type: 'Replace', pattern: { String: ' ' }, content: SP }] })

/** Llama 2, TinyLlama, Mistral 7B v0.1 (LlamaConverter, legacy): Prepend + Replace normalizer, no pre-tokenizer */
function llama2(): Json {
  const { vocab, merges } = spModel(['<unk>', '<s>', '</s>'], [], false, 500)
  return tokenizerJson([added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')], legacyNormalizer(), null, template('<s>', 1), llamaDecoder(), spBpe(vocab, merges, '<unk>'))
}

/** Mistral v0.3 (LlamaConverter, legacy=False): Metaspace(prepend first, no split), control tokens [INST]… */
function mistral(): Json {
  const head = ['<unk>', '<s>', '</s>', '[INST]', '[/INST]', '[TOOL_CALLS]', '[AVAILABLE_TOOLS]']
  const { vocab, merges } = spModel(head, [], false, 500)
  return tokenizerJson(head.map((h, i) => added(i, h)), null,
    { type: 'Metaspace', replacement: SP, prepend_scheme: 'first', split: false },
    template('<s>', 1), llamaDecoder(), spBpe(vocab, merges, '<unk>'))
}

/** Phi-3 mini (Llama's SentencePiece + chat tokens after the vocab, rstrip like the released file) */
function phi3(): Json {
  const { vocab, merges, pieces } = spModel(['<unk>', '<s>', '</s>'], [], false, 500)
  let id = pieces.length
  const chat = [added(id++, '<|endoftext|>'), ...['<|assistant|>', '<|placeholder1|>', '<|placeholder2|>', '<|system|>', '<|end|>', '<|user|>'].map((n) => added(id++, n, { rstrip: true }))]
  return tokenizerJson([added(0, '<unk>'), added(1, '<s>'), added(2, '</s>'), ...chat], legacyNormalizer(), null, template('<s>', 1), llamaDecoder(), spBpe(vocab, merges, '<unk>'))
}

/** Gemma (GemmaConverter): Replace(" " → "▁"), no pre-tokenizer, "\t" for <0x09>, whitespace runs as user-defined tokens */
function gemma(): Json {
  const head = ['<pad>', '<eos>', '<bos>', '<unk>', '<mask>', '<2mass>', '[@BOS@]', '<unused0>', '<unused1>', '<start_of_turn>', '<end_of_turn>']
  const runs = [...[2, 3, 4, 5].map((n) => '\n'.repeat(n)), ...[2, 3, 4, 5, 6, 8, 16, 31].map((n) => SP.repeat(n)), ...[2, 3, 4].map((n) => '\t'.repeat(n))]
  const { vocab, merges } = spModel(head, runs, true, 500)
  const special = new Set(['<pad>', '<eos>', '<bos>', '<unk>', '<mask>', '<start_of_turn>', '<end_of_turn>', '<2mass>', '[@BOS@]', '<unused0>', '<unused1>'])
  const toks = [...head.map((h, i) => added(i, h, { special: special.has(h) })), ...runs.map((r) => added(vocab[r]!, r, { special: false }))]
  return tokenizerJson(toks, { type: 'Replace', pattern: { String: ' ' }, content: SP }, null, template('<bos>', 2),
    { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: SP }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
    spBpe(vocab, merges, '<unk>'))
}

mkdirSync(outDir, { recursive: true })
const families: Record<string, () => Json> = { llama3, smollm2, qwen2, llama2, mistral, phi3, gemma }
let total = 0
for (const [name, build] of Object.entries(families)) {
  const text = JSON.stringify(build())
  writeFileSync(join(outDir, `${name}.json`), text + '\n')
  total += text.length + 1
  console.log(`${name}.json: ${(text.length / 1024).toFixed(0)} KB`)
}
console.log(`total ${(total / 1024).toFixed(0)} KB in ${outDir}`)
