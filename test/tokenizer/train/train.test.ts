import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from 'tokenizers'
import { describe, expect, it } from 'vitest'
import { loadHfTokenizer } from '../../../src/tokenizer/hf/index.js'
import { ByteLevelBpeTokenizer, describeCorpus, PieceCounter, readCorpus, SPLIT_PATTERNS, trainBpe, trainTokenizer } from '../../../src/tokenizer/train/index.js'
import { ADVERSARIAL } from '../../fixtures/tokenizer/adversarial.js'
import { needs, SHARED, shared } from '../../helpers.js'

const tmp = mkdtempSync(join(tmpdir(), 'llm-bpe-train-'))

describe('trainBpe on a hand-checked corpus', () => {
  it('merges the most frequent pair, ties to the smaller ids (minbpe\'s "aaabdaaabac")', () => {
    const counter = new PieceCounter('[^\\n]+')
    counter.add('aaabdaaabac')
    const r = trainBpe(counter, { vocabSize: 259, minFrequency: 1 })
    // aa:4 → 256; then ab:2 and (aa,a)... ties at 2: (a=97,b=98) < (256,97) → ab = 257; then (256,257)
    expect(r.merges).toEqual([[97, 97, 256], [97, 98, 257], [256, 257, 258]])
    expect(r.vocab.slice(256)).toEqual(['aa', 'ab', 'aaab'])
    const tok = new ByteLevelBpeTokenizer(r)
    expect(tok.encode('aaabdaaabac')).toEqual([258, 100, 258, 97, 99])
    expect(tok.decode(tok.encode('aaabdaaabac'))).toBe('aaabdaaabac')
  })

  it('stops at min frequency and appends special tokens after the merges', () => {
    const counter = new PieceCounter()
    counter.add('ab ab ab cd')
    const r = trainBpe(counter, { vocabSize: 300, minFrequency: 2, specialTokens: ['<|end|>'] })
    expect(r.stats.stoppedEarly).toBe(true)
    expect(r.vocab.slice(256)).toEqual(['ab', 'Ġab', '<|end|>'])
    const tok = new ByteLevelBpeTokenizer(r)
    expect(tok.encode('ab<|end|>')).toEqual([256, 60, 124, 101, 110, 100, 124, 62])
    expect(tok.encode('ab<|end|>', { allowedSpecial: 'all' })).toEqual([256, 258])
    expect(tok.decode([256, 258], { skipSpecialTokens: true })).toBe('ab')
  })

  it('rejects a vocab smaller than the bytes plus the specials', () => {
    const counter = new PieceCounter()
    expect(() => trainBpe(counter, { vocabSize: 256, specialTokens: ['x'] })).toThrow(/below 256/)
  })
})

needs(SHARED).describe(`trained tokenizer.json in Hugging Face tokenizers (tinyshakespeare)`, () => {
  const out = join(tmp, 'shakes', 'tokenizer.json')
  const corpus = join(tmp, 'train.txt')
  // train on the first 300 kB; hold out other text for the comparison
  writeFileSync(corpus, readFileSync(shared('data/tinyshakespeare/input.txt'), 'utf8').slice(0, 300_000))
  const summary = trainTokenizer([corpus], { vocabSize: 1200, specialTokens: ['<|endoftext|>', '<|pad|>'], out })
  const heldOut = [
    ...ADVERSARIAL,
    readFileSync(shared('data/tinyshakespeare/input.txt'), 'utf8').slice(900_000, 915_000),
    readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8').slice(0, 15_000),
  ]

  it('fills the vocabulary deterministically', () => {
    expect(summary.vocabSize).toBe(1200)
    expect(summary.stoppedEarly).toBe(false)
    const again = trainTokenizer([corpus], { vocabSize: 1200, specialTokens: ['<|endoftext|>', '<|pad|>'] })
    expect(JSON.stringify(again.tokenizer.toTokenizerJson())).toBe(readFileSync(out, 'utf8'))
  })

  it('loads unchanged in tokenizers and encodes held-out text id for id as the trainer', async () => {
    const hf = HfTokenizer.fromFile(out)
    expect(hf.getVocabSize(true)).toBe(1200)
    const bad: unknown[] = []
    for (const t of heldOut) {
      // HF matches added special tokens in the input by default: ask ours for the same
      const want = (await hf.encode(t, null, { addSpecialTokens: false })).getIds()
      const got = summary.tokenizer.encode(t, { allowedSpecial: 'all' })
      if (JSON.stringify(want) !== JSON.stringify(got)) bad.push({ text: t.slice(0, 60), want: want.slice(0, 30), got: got.slice(0, 30) })
      const text = await hf.decode(got, false)
      if (text !== summary.tokenizer.decode(got)) bad.push({ decode: t.slice(0, 60) })
    }
    expect(bad).toEqual([])
  })

  it('agrees with our Hugging Face loader', () => {
    const ours = loadHfTokenizer(out)
    const bad = heldOut.filter((t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(summary.tokenizer.encode(t)))
    expect(bad).toEqual([])
  })

  it('counts the same pieces when a large file is read in small chunks', () => {
    const whole = new PieceCounter()
    whole.add(readFileSync(corpus, 'utf8'))
    const chunked = new PieceCounter()
    readCorpus(describeCorpus([corpus]), (t, continued) => chunked.add(t, continued), undefined, 4096)
    expect(chunked.documents).toBe(1)
    expect([...chunked.counts].sort()).toEqual([...whole.counts].sort())
  })

  it('trains with the GPT-2 pattern and from JSONL too', async () => {
    const jsonl = join(tmp, 'docs.jsonl')
    writeFileSync(jsonl, heldOut.slice(-2).map((text) => JSON.stringify({ text })).join('\n') + '\n')
    const out2 = join(tmp, 'gpt2', 'tokenizer.json')
    const s = trainTokenizer([jsonl, corpus], { vocabSize: 700, pattern: 'gpt2', out: out2 })
    expect(s.documents).toBe(3)
    expect(JSON.parse(readFileSync(out2, 'utf8')).pre_tokenizer.pretokenizers[0].pattern.Regex).toBe(SPLIT_PATTERNS.gpt2)
    const hf = HfTokenizer.fromFile(out2)
    for (const t of heldOut) expect((await hf.encode(t, null, { addSpecialTokens: false })).getIds()).toEqual(s.tokenizer.encode(t))
  })
})
