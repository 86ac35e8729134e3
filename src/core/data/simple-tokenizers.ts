import type { Tokenizer } from '../../tokenizer/types.js'
import { BYTE_TO_CHAR } from '../../tokenizer/hf/chars.js'

/**
 * The two tokenizers `llm pretrain --tokenizer char|bytes` makes on the spot. Each serialises to
 * a Hugging Face `tokenizer.json` that the official `tokenizers` library (and transformers.js)
 * load and that gives exactly the same ids: a BPE model with an empty merge list, so every
 * "word" falls apart into its single-symbol vocabulary entries.
 *   char:  one id per distinct character of the training text, sorted by code point
 *          (nanoGPT's shakespeare_char `sorted(list(set(data)))`); no pre-tokenizer; the `Fuse`
 *          decoder joins tokens without the spaces HF would otherwise put between them.
 *   bytes: 256 ids, id = byte value; GPT-2's ByteLevel pre-tokenizer/decoder (regex off) maps
 *          bytes to printable symbols, so any text round-trips.
 */
export interface SimpleTokenizer extends Tokenizer {
  /** the Hugging Face tokenizer.json for this tokenizer (an object, stringify to save) */
  toHfJson(): Record<string, unknown>
}

function hfJson(vocab: Record<string, number>, preTokenizer: unknown, decoder: unknown): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [],
    },
  }
}

const noSpecials: ReadonlyMap<string, number> = new Map()

/** Character tokenizer over the given alphabet (order = id). */
export function charTokenizer(alphabet: readonly string[]): SimpleTokenizer {
  const ids = new Map(alphabet.map((c, i) => [c, i]))
  return {
    kind: 'char',
    vocabSize: alphabet.length,
    specialTokens: noSpecials,
    encode(text) {
      const out: number[] = []
      for (const ch of text) {
        const id = ids.get(ch)
        // HF's BPE without an unk token drops unknown symbols; do the same so ids always agree.
        if (id !== undefined) out.push(id)
      }
      return out
    },
    decode: (tokens) => tokens.map((t) => alphabet[t] ?? '').join(''),
    idToToken: (id) => alphabet[id],
    tokenToId: (tok) => ids.get(tok),
    toHfJson: () => hfJson(Object.fromEntries(ids), null, { type: 'Fuse' }),
  }
}

/** The alphabet of a set of texts, sorted by code point. */
export function charAlphabet(texts: Iterable<string>): string[] {
  const seen = new Set<string>()
  for (const t of texts) for (const ch of t) seen.add(ch)
  return [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)
}

/** Byte tokenizer: id = UTF-8 byte. */
export function byteTokenizer(): SimpleTokenizer {
  const symbols = BYTE_TO_CHAR
  const symbolIds = new Map(symbols.map((s, i) => [s, i]))
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }
  return {
    kind: 'bytes',
    vocabSize: 256,
    specialTokens: noSpecials,
    encode: (text) => Array.from(Buffer.from(text, 'utf8')),
    // invalid UTF-8 becomes U+FFFD, as HF's ByteLevel decoder does
    decode: (tokens) => Buffer.from(tokens.filter((t) => t >= 0 && t < 256)).toString('utf8'),
    idToToken: (id) => symbols[id],
    tokenToId: (tok) => symbolIds.get(tok),
    toHfJson: () => hfJson(Object.fromEntries(symbolIds), byteLevel, byteLevel),
  }
}
