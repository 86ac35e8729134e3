/**
 * Loading: errors name the file (missing, corrupt, unsupported component), BOS/EOS detection,
 * the Tokenizer interface's accessors, and allowedSpecial given as a set (checked against the
 * Rust `tokenizers` with only the allowed special tokens kept).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { LlmError } from '../../../src/core/errors.js'
import { HfTokenizer, loadHfTokenizer } from '../../../src/tokenizer/hf/index.js'
import { type Json, readJson } from '../../fixtures/tokenizer/hf/configs.js'
import { needs, SHARED, shared } from '../../helpers.js'

const GPT2 = shared('models/ortgenai-tiny-random-gpt2-fp32/tokenizer.json')
const LLAMA = shared('models/ortgenai-tiny-random-llama-fp16/tokenizer.json')

function thrown(f: () => unknown): LlmError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(LlmError)
    return e as LlmError
  }
  throw new Error('expected an LlmError')
}

describe('loadHfTokenizer errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-tok-'))

  it('names a missing file', () => {
    const p = join(dir, 'nope.json')
    const e = thrown(() => loadHfTokenizer(p))
    expect(e.where).toBe(p)
    expect(e.oneLine()).toContain('no such file')
  })

  it('names a corrupt file', () => {
    const p = join(dir, 'tokenizer.json')
    writeFileSync(p, '{"model": {"type": "BPE", "vocab": {')
    const e = thrown(() => loadHfTokenizer(p))
    expect(e.where).toBe(p)
    expect(e.message).toMatch(/not valid JSON/)
    writeFileSync(p, '[1, 2]')
    expect(thrown(() => loadHfTokenizer(p)).where).toBe(p)
    writeFileSync(p, '{"version": "1.0"}')
    expect(thrown(() => loadHfTokenizer(p)).message).toMatch(/no "model"/)
  })

  const tiny: Json = {
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
    normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [],
  }
  it.each([
    ['normalizer', { type: 'ByteLevelX' }],
    ['pre_tokenizer', { type: 'UnicodeScripts' }],
    ['post_processor', { type: 'Frobnicate' }],
    ['decoder', { type: 'CTC' }],
    ['model', { type: 'WordPieceX', vocab: {} }],
  ])('an unsupported %s type fails naming the type and the file', (key, cfg) => {
    const p = join(dir, `${key}.json`)
    writeFileSync(p, JSON.stringify({ ...tiny, [key]: cfg }))
    const e = thrown(() => loadHfTokenizer(p))
    expect(e.where).toBe(p)
    expect(e.message).toContain(`unsupported ${key} type '${String(cfg.type)}'`)
  })

  it('reports a merge whose token is missing, and an untranslatable regex', () => {
    const e = thrown(() => HfTokenizer.fromJSON({ ...tiny, model: { type: 'BPE', vocab: { a: 0 }, merges: ['a a'] } }, 'x.json'))
    expect(e.oneLine()).toMatch(/^x\.json: BPE merge "a a": token "aa" is not in the vocab/)
    const r = thrown(() => HfTokenizer.fromJSON({ ...tiny, pre_tokenizer: { type: 'Split', pattern: { Regex: '(a' }, behavior: 'Isolated', invert: false } }, 'y.json'))
    expect(r.where).toBe('y.json')
  })

  it('a tiny BPE works end to end', () => {
    const t = HfTokenizer.fromJSON(tiny, 'tiny')
    expect(t.encode('abab')).toEqual([2, 2])
    expect(t.decode([2, 0, 9])).toBe('ab a')
    expect(t.vocabSize).toBe(3)
  })
})

needs(SHARED).describe('HfTokenizer on the real files', () => {
  it('reads BOS/EOS from tokenizer_config.json and exposes the vocab', () => {
    const llama = loadHfTokenizer(LLAMA)
    expect(llama.kind).toBe('hf')
    expect([llama.bosTokenId, llama.eosTokenId, llama.vocabSize]).toEqual([1, 2, 32000])
    expect([...llama.specialTokens]).toEqual([['<unk>', 0], ['<s>', 1], ['</s>', 2]])
    expect(llama.idToToken(3)).toBe('<0x00>')
    expect(llama.tokenToId('▁the')).toBe(278)
    const gpt2 = loadHfTokenizer(GPT2)
    expect([gpt2.bosTokenId, gpt2.eosTokenId]).toEqual([0, 0])
    // without tokenizer_config.json: the template's BOS, the conventional EOS name
    const bare = HfTokenizer.fromJSON(readJson(LLAMA), 'bare')
    expect([bare.bosTokenId, bare.eosTokenId]).toEqual([1, 2])
  })

  it('allowedSpecial as a set matches only the listed special tokens', async () => {
    const j = readJson(LLAMA)
    const ours = HfTokenizer.fromJSON(j, 'llama')
    const onlyEos = structuredClone(j)
    onlyEos.added_tokens = (j.added_tokens as Json[]).filter((t) => t.content === '</s>')
    const ref = RefTokenizer.fromString(JSON.stringify(onlyEos))
    for (const text of ['<s>hi</s>', 'a</s><s>b<unk>', '</s>']) {
      const want = (await ref.encode(text, null, { addSpecialTokens: false })).getIds()
      expect(ours.encode(text, { allowedSpecial: new Set(['</s>']) })).toEqual(want)
    }
    expect(ours.encode('</s>', { allowedSpecial: 'none' })).not.toContain(2)
  })

  it('decode drops unknown ids and skips special tokens on request', async () => {
    const llama = loadHfTokenizer(LLAMA)
    const ref = RefTokenizer.fromFile(LLAMA)
    const ids = [1, 15043, 99999, 2, 3186, -1]
    for (const skip of [false, true]) {
      expect(llama.decode(ids, { skipSpecialTokens: skip })).toBe(await ref.decode(ids.filter((i) => i >= 0 && i < 32000), skip))
    }
  })
})
