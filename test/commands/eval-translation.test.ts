import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { corpusBleu, corpusChrf } from '../../src/core/eval/metrics/index.js'
import { needs, runCli, SHARED } from '../helpers.js'
import { writeMarianTranslator } from '../fixtures/seq2seq/translators.js'

/** `llm eval` translation task on a tiny random Marian folder (scores are low; the bookkeeping is what is checked). */
const root = mkdtempSync(join(tmpdir(), 'llm-eval-translation-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const SOURCES = ['Hello.', 'How are you?', 'I like green tea.', 'Where is the station?', 'It is late.']

describe('llm eval: translation', () => {
  const model = join(root, 'opus-mt-en-fr')
  beforeAll(() => {
    writeMarianTranslator(model)
    writeFileSync(join(root, 'src.en'), SOURCES.join('\n') + '\n')
    writeFileSync(join(root, 'ref.fr'), ['Bonjour.', 'Comment vas-tu ?', "J'aime le thé vert.", 'Où est la gare ?', 'Il est tard.'].join('\n') + '\n')
  }, 60_000)

  it('--src/--ref: corpus BLEU and chrF of the translations (= sacrebleu-equivalent metrics on the logged predictions), with signatures', () => {
    const r = runCli(['eval', '--src', join(root, 'src.en'), '--ref', join(root, 'ref.fr'), '-m', model, '--json', '--log-samples', join(root, 's.jsonl')])
    expect(r.code, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout) as { results: Record<string, Record<string, number>>; signatures: Record<string, string>; config: { task_type: string } }
    expect(res.config.task_type).toBe('translation')
    const m = res.results.src!
    const samples = readFileSync(join(root, 's.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prediction: string; gold: string[] })
    expect(samples).toHaveLength(5)
    expect(m['bleu,none']).toBeCloseTo(corpusBleu(samples.map((s) => s.prediction), [samples.map((s) => s.gold[0]!)]).score, 10)
    expect(m['chrf,none']).toBeCloseTo(corpusChrf(samples.map((s) => s.prediction), [samples.map((s) => s.gold[0]!)]).score, 10)
    expect(res.signatures.bleu).toBe('nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.0.0')
  })

  it('references equal to the model\'s own translations score 100; --fail-under bleu=… gates with exit 3', () => {
    const t = runCli(['translate', '-m', model, '--json'], { input: SOURCES.join('\n') + '\n' })
    const own = t.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { translation: string }).translation)
    writeFileSync(join(root, 'own.jsonl'), SOURCES.map((s, i) => JSON.stringify({ source: s, target: own[i] })).join('\n') + '\n')
    const r = runCli(['eval', join(root, 'own.jsonl'), '-m', model, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const m = (JSON.parse(r.stdout) as { results: Record<string, Record<string, number>> }).results.own!
    expect(m['bleu,none']).toBeCloseTo(100, 9)
    expect(m['chrf,none']).toBeCloseTo(100, 9)
    const g = runCli(['eval', '--src', join(root, 'src.en'), '--ref', join(root, 'ref.fr'), '-m', model, '--fail-under', 'bleu=99'])
    expect(g.code).toBe(3)
    expect(g.stderr).toMatch(/^llm eval: gate failed: src bleu = /)
  })

  needs(SHARED).it('built-in FLORES-200 devtest en→fr with --limit', () => {
    const r = runCli(['eval', 'flores200_en_fr', '-m', model, '--limit', '3', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as { 'n-samples': Record<string, { original: number; effective: number }> })['n-samples'].flores200_en_fr).toEqual({ original: 1012, effective: 3 })
  })

  it('--src without --ref is a one-line usage error', () => {
    const r = runCli(['eval', '--src', join(root, 'src.en'), '-m', model])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe('llm eval: error: --ref: --src needs --ref (the reference translations, one per line)')
  })
})
