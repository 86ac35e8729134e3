import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunk, joinDocument, openTranslator, sentences, splitDocument, translateDocument, type Seq2SeqTranslator, type Translator } from '../../../src/core/translate/index.js'
import { LlmError } from '../../../src/core/errors.js'
import { seededRandom } from '../../helpers.js'
import { writeM2M100Translator, writeMarianTranslator, writeT5Translator } from '../../fixtures/seq2seq/translators.js'

const root = mkdtempSync(join(tmpdir(), 'llm-translate-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('segmentation: split, never cut', () => {
  const words = (s: string) => s.split(/\s+/).filter(Boolean).length
  it('lines: one unit per line, blank lines and CRLF kept; joining the pieces gives the input back', () => {
    const input = 'Hello there.\r\n\r\n  Indented line.  \nLast line without newline'
    const doc = splitDocument(input, { layout: 'lines', fits: () => true })
    expect(doc.units.map((u) => u.pieces)).toEqual([['Hello there.'], [], ['Indented line.'], ['Last line without newline']])
    expect(joinDocument(doc, doc.units.map((u) => u.pieces))).toBe(input)
    expect(joinDocument(splitDocument('a\nb\n', { layout: 'lines', fits: () => true }), [['A'], ['B']])).toBe('A\nB\n')
    expect(joinDocument(splitDocument('', { layout: 'lines', fits: () => true }), [[]])).toBe('')
  })
  it('paragraphs: wrapped lines join, blank-line separators and leading blank lines are kept verbatim', () => {
    const input = '\n\nFirst paragraph,\nwrapped here.\n\n\n  Second one.\n'
    const doc = splitDocument(input, { layout: 'paragraphs', fits: () => true })
    expect(doc.units.map((u) => u.pieces)).toEqual([['First paragraph, wrapped here.'], ['Second one.']])
    expect(doc.units.map((u) => u.line)).toEqual([3, 7])
    expect(joinDocument(doc, [['P1.'], ['P2.']])).toBe('\n\nP1.\n\n\n  P2.\n')
  })
  it('a unit over the budget is split into sentences, then clauses/words/graphemes, and every piece fits', () => {
    const rnd = seededRandom(4)
    const vocab = ['alpha', 'beta', 'gamma,', 'delta;', 'epsilon', 'zeta', 'eta.', 'theta!', 'iota?']
    for (let k = 0; k < 30; k++) {
      const text = Array.from({ length: 10 + Math.floor(rnd() * 120) }, () => vocab[Math.floor(rnd() * vocab.length)]).join(' ').replace(/[,;.!?]$/, '') + '.'
      const budget = 3 + Math.floor(rnd() * 12)
      const doc = splitDocument(text, { layout: 'lines', fits: (s) => words(s) <= budget })
      const u = doc.units[0]!
      expect(u.pieces.every((p) => words(p) <= budget)).toBe(true)
      // nothing lost: pieces + their gaps are the text again
      expect(u.pieces.map((p, i) => p + (i < u.pieces.length - 1 ? u.gaps[i] : '')).join('')).toBe(text)
    }
    const long = 'x'.repeat(50)
    expect(chunk(long, (s) => s.length <= 8).map((c) => c.text).join('')).toBe(long)
    expect(chunk('日本語の文章はスペースがありません', (s) => s.length <= 4).every((c) => c.text.length <= 4)).toBe(true)
  })
  it('sentences keep the whitespace after them', () => {
    expect(sentences('One. Two!  Three?')).toEqual([{ text: 'One.', gap: ' ' }, { text: 'Two!', gap: '  ' }, { text: 'Three?', gap: '' }])
  })
})

describe('translators on tiny random folders (Marian, T5, M2M100 layouts)', () => {
  let marian: Translator
  beforeAll(async () => {
    writeMarianTranslator(join(root, 'opus-mt-en-fr'), { config: { max_position_embeddings: 40 } })
    writeT5Translator(join(root, 't5'))
    writeM2M100Translator(join(root, 'm2m'))
    marian = await openTranslator(join(root, 'opus-mt-en-fr'))
  }, 60_000)
  afterAll(async () => { await marian?.close() })

  it('Marian: direction from tokenizer_config.json; a >>fra<< code when the vocabulary has target codes; wrong languages are one-line usage errors', async () => {
    expect([marian.kind, marian.from, marian.to]).toEqual(['seq2seq', 'en', 'fr'])
    expect((marian as Seq2SeqTranslator).plan.textPrefix).toBe('>>fra<< ')
    const err = await openTranslator(join(root, 'opus-mt-en-fr'), { to: 'de' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LlmError)
    expect((err as LlmError).exitCode).toBe(2)
    expect((err as LlmError).oneLine()).toMatch(/^--to: unknown language code 'de' for this model \(hint: opus-mt-en-fr knows >>fra<<, >>spa<<\)$/)
    const es = await openTranslator(join(root, 'opus-mt-en-fr'), { to: 'Spanish' })
    expect((es as Seq2SeqTranslator).plan.textPrefix).toBe('>>spa<< ')
    await es.close()
  })

  it('T5: the task prefix of task_specific_params; an unknown pair lists the model\'s pairs', async () => {
    const t = await openTranslator(join(root, 't5'), { to: 'fr' }) as Seq2SeqTranslator
    expect(t.plan.textPrefix).toBe('translate English to French: ')
    expect(t.plan.decoderStart).toBe(0)
    await t.close()
    const err = await openTranslator(join(root, 't5'), { to: 'ro' }).catch((e: unknown) => e) as LlmError
    expect(err.oneLine()).toBe('--to: unknown language pair en→ro for this model (hint: t5 translates en→de, en→fr)')
  })

  it('M2M100: [__en__] + text + </s>, decoding from </s> with __fr__ forced first (forced_bos_token_id), and hidden from the text', async () => {
    const t = await openTranslator(join(root, 'm2m'), { from: 'en', to: 'fr' }) as Seq2SeqTranslator
    const id = (s: string) => t.tokenizer.tokenToId(s)!
    expect(t.plan.before).toEqual([id('__en__')])
    expect(t.plan.after).toEqual([2])
    expect(t.plan.forcedBos).toBe(id('__fr__'))
    expect(t.plan.decoderStart).toBe(2)
    const [out] = await t.translateBatch(['Hello.'])
    expect(out!.text).not.toContain('__fr__')
    expect(out!.outputTokens).toBeGreaterThan(1)
    await t.close()
    const err = await openTranslator(join(root, 'm2m'), { from: 'en', to: 'xx' }).catch((e: unknown) => e) as LlmError
    expect(err.oneLine()).toMatch(/^--to: unknown language code 'xx' for this model \(hint: m2m knows __en__, __fr__, __de__\)$/)
  })

  it('batching changes nothing: a batch of pieces = each piece alone (greedy and beam search)', async () => {
    const texts = ['Hello.', 'How are you today?', 'I am fine, thank you very much.', 'Yes.']
    for (const decode of [{}, { numBeams: 3 }]) {
      const t = await openTranslator(join(root, 'opus-mt-en-fr'), { decode })
      const together = await t.translateBatch(texts)
      for (const [i, text] of texts.entries()) expect((await t.translateBatch([text]))[0]).toEqual(together[i])
      await t.close()
    }
  })

  it('a line longer than the model takes is split into pieces that fit and rejoined on one line', async () => {
    const line = Array.from({ length: 12 }, (_, i) => `Sentence number ${i} is here, and it goes on.`).join(' ')
    const r = await translateDocument(marian, `${line}\nShort.\n`, { layout: 'lines', batchSize: 4 })
    expect(r.units[0]!.pieces).toBeGreaterThan(3)
    expect(r.text.split('\n')).toHaveLength(3)
    expect(marian.countTokens(line)).toBeGreaterThan(marian.maxSourceTokens)
  })
})
