/**
 * Metrics against the values their reference implementations publish:
 *  - sacrebleu README (github.com/mjpost/sacrebleu, v2.0.0 "Using the object-oriented API") and
 *    test/test_bleu.py, test/test_chrf.py;
 *  - google-research/rouge rouge_scorer_test.py (values from manual runs of ROUGE-1.5.5) and its
 *    testdata/{target,prediction}.txt first two lines (quoted below).
 */
import { describe, expect, it } from 'vitest'
import { bleuFromStats, corpusBleu, corpusChrf, exactMatch, pairedBootstrap, rouge, rougeScoreTokenize, sentenceBleuStats, stderrOfMean, tokenize13a, unicodeTokenize } from '../../../src/core/eval/metrics/index.js'

const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
]
const SYS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.']

describe('BLEU (sacrebleu 2.0)', () => {
  it('README example: corpus BLEU with two reference sets', () => {
    const b = corpusBleu(SYS, REFS)
    expect(b.format()).toBe('BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)')
    expect(b.signature).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.0.0')
    expect(Math.abs(b.score - 48.530827)).toBeLessThan(1e-6) // test_bleu.py test_corpus_bleu_cases
  })
  it('README example: variable references (first reference of sentence 1 removed)', () => {
    const b = corpusBleu(SYS, [['', REFS[0]![1]!, REFS[0]![2]!], REFS[1]!])
    expect(b.format()).toBe('BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)')
    expect(b.signature).toBe('nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.0.0')
  })
  it('test_bleu.py: empty hypotheses score 0; tokenize none → 49.1919566', () => {
    expect(corpusBleu(['', '', ''], REFS).score).toBe(0)
    expect(Math.abs(corpusBleu(SYS, REFS, { tokenize: 'none' }).score - 49.1919566)).toBeLessThan(1e-6)
  })
  it('test_bleu.py: statistics and scoring cases', () => {
    const s = sentenceBleuStats('am I am a character sequence', ['I am a symbol string sequence a a'])
    expect(s.correct).toEqual([4, 2, 1, 0])
    expect(s.total).toEqual([6, 5, 4, 3])
    const b = bleuFromStats({ correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 })
    expect(Math.abs(b.score / 100 - 0.8375922397)).toBeLessThan(1e-8)
  })
  it('13a tokenizer splits punctuation but not the apostrophe or decimals', () => {
    expect(tokenize13a("It wasn't 3.5-fold, (really)!")).toBe("It wasn't 3.5 - fold , ( really ) !")
    expect(tokenize13a('A &amp; B')).toBe('A & B')
  })
})

describe('chrF (sacrebleu 2.0)', () => {
  it('README example: chrF2 = 59.73', () => {
    const c = corpusChrf(SYS, REFS)
    expect(c.format()).toBe('chrF2 = 59.73')
    expect(c.signature).toBe('nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.0.0')
  })
  // test_chrf.py test_cases_effective_order (beta=3, eps_smoothing=False)
  it.each([
    [['a'], ['a'], 100], [[''], ['reference'], 0], [['a b c'], ['a b c'], 100], [['a b c'], ['abc'], 100],
    [[''], ['c'], 0], [['a', 'b'], ['a', 'c'], 50], [['aa'], ['ab'], 25],
  ])('effective order %j vs %j = %d', (h, r, want) => {
    expect(Math.abs(corpusChrf(h, [r], { beta: 3 }).score - want)).toBeLessThan(1e-4)
  })
  // test_chrf.py test_cases (beta=3, eps_smoothing=True)
  it.each([
    [['abcdefg'], ['hijklmnop'], 0], [['aa'], ['ab'], 8.3333], [['a', 'b'], ['a', 'c'], 8.3333], [['a'], ['a'], 16.6667],
    [['a b c'], ['abc'], 50],
    [[' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
      ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'], 63.361730],
    [[' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'], 64.1302698],
  ])('eps smoothing %j = %d', (h, r, want) => {
    expect(Math.abs(corpusChrf(h, [r], { beta: 3, epsSmoothing: true }).score - want)).toBeLessThan(1e-4)
  })
  it('test_chrf.py keep whitespace: 67.3481606', () => {
    const c = corpusChrf(['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'], [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']], { beta: 3, whitespace: true })
    expect(Math.abs(c.score - 67.3481606)).toBeLessThan(1e-4)
  })
})

// rouge/testdata/target.txt and prediction.txt, lines 1–2
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN",
]
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD",
]

describe('ROUGE (rouge-score semantics, Unicode tokenizer)', () => {
  const close = (a: number, b: number, places = 5): void => expect(Math.abs(a - b)).toBeLessThan(0.5 * 10 ** -places)
  it('rouge_scorer_test.py small cases', () => {
    const r1 = rouge('testing one two', 'testing').rouge1
    close(r1.precision, 1); close(r1.recall, 1 / 3); close(r1.fmeasure, 1 / 2)
    const r2 = rouge('testing one two', 'testing one').rouge2
    close(r2.precision, 1); close(r2.recall, 1 / 2); close(r2.fmeasure, 2 / 3)
    const l = rouge('testing one two', 'testing two').rougeL
    close(l.precision, 1); close(l.recall, 2 / 3); close(l.fmeasure, 4 / 5)
    const e = rouge('testing one two', '')
    for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) expect(e[k]).toEqual({ precision: 0, recall: 0, fmeasure: 0 })
  })
  it('rouge_scorer_test.py against ROUGE-1.5.5 (no stemming)', () => {
    const want = [
      { rouge1: [0.40741, 0.6875, 0.51163], rouge2: [0.30769, 0.53333, 0.39024], rougeL: [0.40741, 0.6875, 0.51163] },
      { rouge1: [0.40476, 0.65385, 0.5], rouge2: [0.29268, 0.48, 0.36364], rougeL: [0.40476, 0.65385, 0.5] },
    ]
    want.forEach((w, i) => {
      const got = rouge(TARGETS[i]!, PREDICTIONS[i]!)
      for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) {
        close(got[k].recall, w[k][0]!); close(got[k].precision, w[k][1]!); close(got[k].fmeasure, w[k][2]!)
      }
    })
  })
  it('the Unicode tokenizer equals rouge-score\'s on ASCII text', () => {
    for (const s of [...TARGETS, ...PREDICTIONS, "Hello, World! It's 3.14 -- ok_then", 'a\tb\nC']) expect(unicodeTokenize(s)).toEqual(rougeScoreTokenize(s))
  })
  it('non-Latin text is not scored as zero', () => {
    expect(rougeScoreTokenize('Привет мир')).toEqual([]) // the defect being avoided
    expect(rouge('Привет мир', 'привет всем').rouge1.fmeasure).toBeCloseTo(0.5, 10)
    expect(rouge('猫が好きです', '猫が嫌いです').rouge1.fmeasure).toBeCloseTo(4 / 6, 10)
    expect(unicodeTokenize('L\'été à Montréal')).toEqual(['l', 'été', 'à', 'montréal'])
  })
})

describe('exact match, stderr, bootstrap', () => {
  it('exact match trims whitespace', () => {
    expect(exactMatch(' Paris\n', ['paris', 'Paris'])).toBe(1)
    expect(exactMatch('Paris', ['paris'])).toBe(0)
    expect(exactMatch('Paris', ['paris'], { ignoreCase: true })).toBe(1)
  })
  it('stderr of the mean uses n-1 (lm-eval mean_stderr)', () => {
    // values 1,0,1,1: mean .75, sample var = .25, stderr = .5/2
    expect(stderrOfMean([1, 0, 1, 1])).toBeCloseTo(0.25, 12)
  })
  it('paired bootstrap: an identical pair has a zero interval; a clear win excludes 0', () => {
    const a = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0))
    const b = a.map((x, i) => (i % 4 === 1 ? 1 : x))
    const meanOf = (xs: number[]) => (idx: Int32Array): number => { let s = 0; for (const i of idx) s += xs[i]!; return s / idx.length }
    const same = pairedBootstrap(200, meanOf(a), meanOf(a), { seed: 1 })
    expect([same.delta, same.low, same.high]).toEqual([0, 0, 0])
    const win = pairedBootstrap(200, meanOf(a), meanOf(b), { seed: 1 })
    expect(win.delta).toBeCloseTo(0.25, 12)
    expect(win.low).toBeGreaterThan(0)
    expect(win.high).toBeGreaterThan(win.low)
  })
})
