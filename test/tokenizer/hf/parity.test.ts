/**
 * Id-for-id parity with the official Rust `tokenizers` (npm binding 0.23.2) on the real
 * tokenizer.json files in ../shared/models and on component variants built from them
 * (test/fixtures/tokenizer/hf/configs.ts), over the shared adversarial corpus: encode with and
 * without add_special_tokens, special tokens matched ('all', HF's default) or read as text
 * ('none', HF's encode_special_tokens), and decode with and without skip_special_tokens.
 */
import { expect, it } from 'vitest'
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { loadHfTokenizer } from '../../../src/tokenizer/hf/index.js'
import { type Pair, checkDecode, checkEncode, pairOf } from './parity-helpers.js'
import { buildNormalizer } from '../../../src/tokenizer/hf/normalizers.js'
import { ADVERSARIAL } from '../../fixtures/tokenizer/adversarial.js'
import { type Variant, affixVariants, gpt2Variants, llamaVariants, readJson, spUnigramVariants, unigramVariants, wordVariants } from '../../fixtures/tokenizer/hf/configs.js'
import { resolve } from 'node:path'
import { needs, repoRoot, SHARED, shared } from '../../helpers.js'

const GPT2 = shared('models/ortgenai-tiny-random-gpt2-fp32/tokenizer.json')
const LLAMA = shared('models/ortgenai-tiny-random-llama-fp16/tokenizer.json')

/** corpus: the shared adversarial strings plus cases aimed at this module's components */
const EXTRA = [
  '<s>Hello</s>', ' <s> x </s> ', '<s><s></s>', '<unk>', '<|endoftext|> <|endoftext|>\n<|endoftext|>',
  'say hello world, hello!', 'ahello helloa hello_ hello', 'x  <|user|>  y', '[MASK]  [MASK]', 'a <|end|>b',
  ' [INST] hi [/INST] <<SYS>>  sys', 'ΟΔΟΣ ΟΔΌΣ Σ ΣΑΣ', 'İstanbul ǅ ﬃ ㎒ ½', '\u00a0\u3000\uFEFF \u0085',
  '▁▁ leading ▁ metaspace▁', '  two leading spaces', 'hello    world', 'a\u0301\u0302 e\u0308',
  'hellohellohello', 'The 2024 budget: $3,141.59!', 'x'.repeat(60) + ' ' + 'ab'.repeat(40),
  '\u4e00\u4e8c\u4e09 \u3400 \u{20000}', 'a\t\tb\n\n\nc  \r\n d', 'oooo.o,o!o?o', 'eee e ee',
  'x<|fim-middle|>y a,b;c -- a-b A-B, <x>, --- <= {[(x|y)]}$^ & ~', 
]
const CORPUS = [...ADVERSARIAL, ...EXTRA]

needs(SHARED).describe('HfTokenizer parity with tokenizers (Rust)', () => {
  it('real files: GPT-2 byte-level BPE and Llama SP-BPE with byte fallback', async () => {
    for (const file of [GPT2, LLAMA]) {
      const ours = loadHfTokenizer(file)
      const ref = RefTokenizer.fromFile(file)
      const p: Pair = { name: file, ours, ref, refNoSpecial: pairOf({ name: file, json: readJson(file) }, true).refNoSpecial }
      expect([...await checkEncode(p, CORPUS), ...await checkDecode(p, CORPUS)]).toEqual([])
      expect(ours.vocabSize).toBe(ref.getVocabSize(true))
      for (let id = 0; id < ours.vocabSize; id += 97) expect(ours.idToToken(id)).toBe(ref.idToToken(id))
    }
  })

  it('Precompiled normalizer (a real SentencePiece charsmap) rewrites text exactly as tokenizers does', () => {
    const v = spUnigramVariants(resolve(repoRoot, 'test/fixtures/tokenizer/sp'))[0]!
    const ref = RefTokenizer.fromString(JSON.stringify(v.json)).getNormalizer()!
    const ours = buildNormalizer({ source: v.name }, v.json.normalizer)!
    const texts = [...CORPUS, 'ﬁ ½ Ⅻ ① ㎒ Å é e\u0301 ｈｅｌｌｏ']
    const wellFormed = texts.map((t) => t.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))
    expect(wellFormed.map((t) => ours(t))).toEqual(wellFormed.map((t) => ref.normalizeString(t)))
    // not vacuous: the rules change a good share of the corpus
    expect(wellFormed.filter((t) => ref.normalizeString(t) !== t).length).toBeGreaterThan(10)
  })

  let cached: Variant[] | undefined
  const variants = (): Variant[] => {
    if (cached) return cached
    const gpt2 = readJson(GPT2)
    const llama = readJson(LLAMA)
    return (cached = [...gpt2Variants(gpt2), ...llamaVariants(llama), ...affixVariants(gpt2), ...wordVariants(gpt2), ...unigramVariants(llama),
      ...spUnigramVariants(resolve(repoRoot, 'test/fixtures/tokenizer/sp'))])
  }
  // variants with added tokens of their own also check allowedSpecial 'none' (a second Rust load)
  const WITH_NONE = new Set(['gpt2/added-token-flags', 'gpt2/nfkc-lowercase-digits', 'llama/added-normalized', 'wordpiece/bert-uncased'])
  const names = variants().map((v) => v.name)
  it.each(names)('variant %s', async (name) => {
    const v = variants().find((x) => x.name === name)!
    const p = pairOf(v, WITH_NONE.has(name))
    expect([...await checkEncode(p, CORPUS), ...await checkDecode(p, CORPUS)]).toEqual([])
  })
})
