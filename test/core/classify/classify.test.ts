/**
 * Classification probabilities against an independent PyTorch forward of stories260K
 * (test/fixtures/classify/torch_classify.py: per-label log-likelihoods in float64, softmax, and
 * contextual calibration computed there from its own content-free scores), before and after
 * calibration; plus the pure math and the label checks.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPrompt, calibrate, classify, contentFreePrior, CONTENT_FREE, DEFAULT_TEMPLATE, readFewShot, softmax } from '../../../src/core/classify/index.js'
import { encodePair, macroF1, prefixToken, resolveTask, runTask } from '../../../src/core/eval/index.js'
import { Model } from '../../../src/core/model/index.js'
import { convertStories260K, needs, PY, repoRoot, runCli, shared, SHARED, TORCH } from '../../helpers.js'


describe('classification math', () => {
  it('calibration divides by the content-free prior and renormalises', () => {
    const prior = contentFreePrior([[Math.log(0.6), Math.log(0.2)], [Math.log(0.2), Math.log(0.2)]])
    expect(prior[0]).toBeCloseTo(0.4 / 0.6, 12)
    const q = calibrate([0.5, 0.5], prior)
    expect(q[0]).toBeCloseTo((0.5 / prior[0]!) / (0.5 / prior[0]! + 0.5 / prior[1]!), 12)
    const s = softmax([0, Math.log(3)])
    expect(s[0]).toBeCloseTo(0.25, 14)
    expect(s[1]).toBeCloseTo(0.75, 14)
  })
  it('macro-F1 is the mean of per-class F1 (scikit-learn average=macro, zero_division=0)', () => {
    // gold 0 0 1 1 2, pred 0 1 1 1 0: F1 = 2·1/(2+1+1) (class 0: tp1 fp1 fn1), 4/5 (class 1: tp2 fp1), 0 (class 2)
    expect(macroF1([0, 1, 1, 1, 0], [0, 0, 1, 1, 2], 3)).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12)
    expect(macroF1([0, 1], [0, 1], 3)).toBeCloseTo(2 / 3, 12) // an unseen class counts as 0
  })
  it('few-shot prompts put labelled examples first', () => {
    expect(buildPrompt(DEFAULT_TEMPLATE, 'x', [{ text: 'a', label: 'pos' }])).toBe('Text: a\nLabel: pos\n\nText: x\nLabel:')
    expect(buildPrompt('{text} is {label}?', 'x', [{ text: 'a', label: 'sport, news' }], 'news')).toBe('a is news? yes\n\nx is news?')
  })
  it('few-shot files: every example needs a known label, errors name the line', () => {
    expect(readFewShot('{"text":"a","label":"pos"}\n{"text":"b","label":"neg, pos"}\n', 'f.jsonl', ['pos', 'neg'])).toEqual([{ text: 'a', label: 'pos' }, { text: 'b', label: 'neg, pos' }])
    expect(() => readFewShot('{"text":"a","label":"pos"}\n{"text":"b"}\n', 'f.jsonl', ['pos'])).toThrow(expect.objectContaining({ where: 'f.jsonl:2' }))
    expect(() => readFewShot('text,label\na,pos\nb,spam\n', 'f.csv', ['pos', 'neg'])).toThrow(/label 'spam' is not one of --labels/)
  })
})

needs(TORCH, SHARED).describe('classify stories260K', () => {
  let dir = ''
  let model: Model
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-classify-'))
    convertStories260K(join(dir, 'm'))
    model = await Model.load(join(dir, 'm'))
  }, 120_000)
  afterAll(async () => {
    await model?.release()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('probabilities equal softmax of PyTorch per-label log-likelihoods, before and after calibration (1e-5)', async () => {
    const texts = ['Lily found a puppy and smiled all day.', 'Tom lost his red ball and cried.', 'The big dog barked at the cat and growled.']
    const labels = ['happy', 'sad', 'angry']
    const bos = prefixToken(model)
    const reqsFor = (x: string) => labels.map((l) => encodePair(model, buildPrompt(DEFAULT_TEMPLATE, x), ` ${l}`, bos))
    const r = spawnSync(PY, [join(repoRoot, 'test/fixtures/classify/torch_classify.py'), join(dir, 'm'), shared('tools')], {
      input: JSON.stringify({ max_length: 512, texts: texts.map(reqsFor), content_free: CONTENT_FREE.map(reqsFor) }), encoding: 'utf8', maxBuffer: 64 << 20,
    })
    expect(r.status, r.stderr).toBe(0)
    const ref = JSON.parse(r.stdout) as { ll: number[][]; probs: number[][]; calibrated: number[][]; p_cf: number[] }
    const ours = await classify(model, texts, { labels, batchSize: 4 })
    const raw = await classify(model, texts, { labels, calibrate: false, batchSize: 1 })
    let dLl = 0, dP = 0, dCal = 0
    ours.forEach((o, i) => labels.forEach((l, j) => {
      dLl = Math.max(dLl, Math.abs(o.loglikelihoods[l]! - ref.ll[i]![j]!))
      dP = Math.max(dP, Math.abs(o.uncalibrated[l]! - ref.probs[i]![j]!), Math.abs(raw[i]!.probs[l]! - ref.probs[i]![j]!))
      dCal = Math.max(dCal, Math.abs(o.probs[l]! - ref.calibrated[i]![j]!))
    }))
    console.log(`classify vs PyTorch: max |Δ ll| ${dLl.toExponential(2)}, |Δ p| ${dP.toExponential(2)} before, ${dCal.toExponential(2)} after calibration`)
    expect(dLl, `max |Δ log-likelihood| ${dLl}`).toBeLessThan(1e-4)
    expect(dP, `max |Δ p| before calibration ${dP}`).toBeLessThan(1e-5)
    expect(dCal, `max |Δ p| after calibration ${dCal}`).toBeLessThan(1e-5)
    // calibration moved something (else the check above would not test it)
    expect(Math.max(...ref.p_cf) - Math.min(...ref.p_cf)).toBeGreaterThan(0.01)
    ours.forEach((o, i) => expect(o.label).toBe(labels[ref.calibrated[i]!.indexOf(Math.max(...ref.calibrated[i]!))]))
  })

  it('multi-label: independent calibrated yes/no per label', async () => {
    const [r] = await classify(model, ['Lily played with her dog in the park.'], { labels: ['dog', 'park', 'rain'], multiLabel: true, threshold: 0.5 })
    for (const p of Object.values(r!.probs)) expect(p).toBeGreaterThan(0), expect(p).toBeLessThan(1)
    expect(r!.label).toEqual(Object.keys(r!.probs).filter((l) => r!.probs[l]! >= 0.5))
  })

  it('llm eval scores a labelled {text, label} file: acc and macro_f1 of the calibrated predictions', async () => {
    const task = resolveTask(join(repoRoot, 'test/fixtures/classify/feelings.jsonl'))
    expect(task.type).toBe('classification')
    const r = await runTask(model, task, { batchSize: 4 })
    const gold = ['happy', 'sad', 'happy', 'sad']
    const preds = (await classify(model, r.samples.map((s) => s.arguments[0]![0]), { labels: ['happy', 'sad'] })).map((x) => x.label)
    const acc = preds.filter((p, i) => p === gold[i]).length / 4
    expect(r.metrics.acc!.value).toBeCloseTo(acc, 12)
    expect(r.metrics.macro_f1!.value).toBeCloseTo(macroF1(preds.map((p) => (p === 'happy' ? 0 : 1)), [0, 1, 0, 1], 2), 12)
  })

  it('an empty label list is a usage error', async () => {
    await expect(classify(model, ['x'], { labels: [' ', ''] })).rejects.toThrow(/label list is empty/)
  })
})
