import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { loadMarianTokenizer } from '../../src/tokenizer/marian.js'
import { ADVERSARIAL as adversarial } from '../fixtures/tokenizer/adversarial.js'
import { needs, PY, PYTHON, Reference, repoRoot, seededRandom } from '../helpers.js'

const DIR = join(repoRoot, 'test/fixtures/tokenizer/marian')
const SENTENCEPIECE = new Reference(() =>
  PYTHON.missing ?? (spawnSync(PY, ['-c', 'import sentencepiece']).status === 0 ? undefined : `${PY} cannot import sentencepiece (apt-get install -y python3-sentencepiece)`))
const tmp = mkdtempSync(join(tmpdir(), 'llm-marian-tok-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const TEXTS = [
  'Hello, world!', "I don't know what you're talking about.", 'Tom asked his teacher for advice.',
  '>>fra<< How are you?', '>>spa<<Where is the station?', 'A code >>fra<< in the middle is removed.', '>>fra<< >>spa<< two codes',
  '>>xyz<< an unknown code', '>> not a code', '', ' ', '  leading and   inner   spaces  ', 'tabs\tand\u00a0nbsp',
  '“curly quotes” and it’s fine…', 'ＦＵＬＬＷＩＤＴＨ letters', 'émigré naïve façade', '日本語 and emoji 😀 are unknown',
  'numbers 3.14159 and 2024-11-26', 'line\nbreaks\r\nhere', "C'est la vie, n'est-ce pas ?",
]

needs(SENTENCEPIECE).describe('MarianTokenizer (source.spm, target.spm, vocab.json) = Hugging Face MarianTokenizer over sentencepiece', () => {
  const tok = loadMarianTokenizer(DIR)
  const rnd = seededRandom(3)
  const texts = [...TEXTS, ...adversarial.filter((t) => (t as string & { isWellFormed(): boolean }).isWellFormed() && !/<\/s>|<unk>|<pad>/.test(t))] // lone surrogates are not text sentencepiece accepts
  const decodes = [
    ...texts.slice(0, 10).map((t) => tok.encode(t, { addSpecialTokens: true })),
    ...Array.from({ length: 60 }, () => Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => Math.floor(rnd() * tok.vocabSize))),
  ]
  let ref: { encode: number[][]; decode: string[]; decode_skip: string[] }
  it('runs the reference', () => {
    writeFileSync(join(tmp, 'in.json'), JSON.stringify({ texts, decode: decodes }))
    const r = spawnSync(PY, [join(DIR, 'marian_reference.py'), DIR, join(tmp, 'in.json'), join(tmp, 'out.json')], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    ref = JSON.parse(readFileSync(join(tmp, 'out.json'), 'utf8'))
  })
  it(`encodes ${TEXTS.length} hand-written and the shared adversarial texts to the same ids (language codes, unknown pieces, normalization rules)`, () => {
    texts.forEach((t, i) => expect(tok.encode(t, { addSpecialTokens: true }), JSON.stringify(t)).toEqual(ref.encode[i]))
    expect(ref.encode.flat()).toContain(tok.unkTokenId)
    expect(ref.encode[3]![0]).toBe(tok.tokenToId('>>fra<<'))
  })
  it('decodes encoded texts and random id sequences (special tokens kept or skipped, source-only pieces) to the same text', () => {
    decodes.forEach((ids, i) => {
      expect(tok.decode(ids), `ids ${ids}`).toBe(ref.decode[i])
      expect(tok.decode(ids, { skipSpecialTokens: true }), `ids ${ids}`).toBe(ref.decode_skip[i])
    })
  })
  it('knows its special tokens, language codes and size', () => {
    expect([tok.eosTokenId, tok.unkTokenId, tok.padTokenId]).toEqual([0, 1, tok.vocabSize - 1])
    expect(tok.languageCodes).toEqual(['>>fra<<', '>>spa<<'])
    expect(tok.encode('a</s>b', { allowedSpecial: 'all' })).toContain(0)
    expect(tok.encode('a</s>b')).not.toContain(0)
  })
})
