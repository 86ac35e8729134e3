/**
 * `llm eval` as a user runs it (the built CLI, a real process): stories260K converted by
 * `llm convert`, small fixtures under test/fixtures/eval, --limit everywhere.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { convertStories260K, needs, repoRoot, runCli, shared, SHARED } from '../helpers.js'

const F = (name: string): string => join(repoRoot, 'test/fixtures/eval', name)

needs(SHARED).describe('llm eval (stories260K)', () => {
  let dir = ''
  let model = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-eval-cli-'))
    model = join(dir, 'model')
    convertStories260K(model)
  }, 120_000)
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  it('a {query, choices, gold} JSONL file is zero-shot multiple choice: table, --output, --log-samples', () => {
    const out = join(dir, 'r.json')
    const samples = join(dir, 's.jsonl')
    const r = runCli(['eval', F('mc.jsonl'), '-m', model, '--output', out, '--log-samples', samples])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/\| mc +\| acc ↑ +\| +0\.\d{4} \| ± \| +0\.\d{4} \|/)
    expect(r.stdout).toMatch(/acc_norm/)
    const res = JSON.parse(readFileSync(out, 'utf8'))
    expect(Object.keys(res)).toEqual(expect.arrayContaining(['results', 'config', 'n-samples', 'versions', 'model_hash', 'data_hash', 'date', 'per_sample']))
    expect(res['n-samples'].mc).toEqual({ original: 4, effective: 4 })
    expect(res.model_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(typeof res.results.mc['acc,none']).toBe('number')
    const lines = readFileSync(samples, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toHaveLength(4)
    const first = lines[0]
    expect(first.doc_id).toBe(0)
    // context = query, continuation = " " + choice (lm-eval's default target delimiter)
    expect(first.arguments).toEqual([['Question: What do cats like to drink?', ' milk'], ['Question: What do cats like to drink?', ' rocks'], ['Question: What do cats like to drink?', ' paper']])
    expect(first.loglikelihoods).toHaveLength(3)
    expect(first.prediction).toBe(first.loglikelihoods.indexOf(Math.max(...first.loglikelihoods)))
    expect(first.correct).toBe(first.prediction === 0)
    expect(lines[3].gold).toBe(1) // "woof" given as text resolves to its index
    const acc = lines.filter((l) => l.correct).length / 4
    expect(res.results.mc['acc,none']).toBe(acc)
  })

  it('--batch-size 1 and 8 give identical accuracies and log-likelihoods (arc_easy --limit 12)', () => {
    const a = runCli(['eval', 'arc_easy', '-m', model, '--limit', '12', '--batch-size', '1', '--json', '--log-samples', join(dir, 'b1.jsonl')])
    const b = runCli(['eval', 'arc_easy', '-m', model, '--limit', '12', '--batch-size', '8', '--json', '--log-samples', join(dir, 'b8.jsonl')])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const ra = JSON.parse(a.stdout).results.arc_easy
    const rb = JSON.parse(b.stdout).results.arc_easy
    expect(rb['acc,none']).toBe(ra['acc,none'])
    expect(rb['acc_norm,none']).toBe(ra['acc_norm,none'])
    const lla = readFileSync(join(dir, 'b1.jsonl'), 'utf8').trim().split('\n').flatMap((l) => JSON.parse(l).loglikelihoods as number[])
    const llb = readFileSync(join(dir, 'b8.jsonl'), 'utf8').trim().split('\n').flatMap((l) => JSON.parse(l).loglikelihoods as number[])
    expect(Math.max(...lla.map((x, i) => Math.abs(x - llb[i]!)))).toBeLessThan(1e-5)
  })

  it('a task file with seeded few-shot examples: same seed same prompts, other seed other prompts', () => {
    const run = (seed: string): string[] => {
      const s = join(dir, `fs${seed}.jsonl`)
      const r = runCli(['eval', F('fewshot.yaml'), '-m', model, '--seed', seed, '--log-samples', s])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/tiny_mc/)
      return readFileSync(s, 'utf8').trim().split('\n').map((l) => JSON.parse(l).arguments[0][0] as string)
    }
    const a = run('1'), b = run('1'), c = run('2')
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    for (const [i, ctx] of a.entries()) {
      const parts = ctx.split('\n\n')
      expect(parts).toHaveLength(3) // two examples + the item
      expect(parts[2]).toMatch(/\nAnswer:$/)
      expect(parts.slice(0, 2).every((p) => /\nAnswer: \S/.test(p))).toBe(true)
      expect(parts.slice(0, 2).some((p) => p.startsWith(parts[2]!.replace(/\nAnswer:$/, '')))).toBe(false) // never the item itself
      void i
    }
  })

  it('generic --format mapping with custom field names', () => {
    const r = runCli(['eval', F('custom.jsonl'), '-m', model, '--format', 'multiple_choice', '--context-field', 'question', '--choices-field', 'options', '--gold-field', 'answer', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const res = JSON.parse(r.stdout)
    expect(res['n-samples'].custom.effective).toBe(2)
    expect(res.results.custom['acc,none']).toBeGreaterThanOrEqual(0)
  })

  it('a generation task reports exact match, BLEU, chrF, ROUGE with sacrebleu signatures', () => {
    const r = runCli(['eval', F('gen.yaml'), '-m', model])
    expect(r.code, r.stderr).toBe(0)
    for (const m of ['exact_match', 'bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL']) expect(r.stdout).toContain(`| ${m} `)
    expect(r.stdout).toContain('bleu signature: nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.0.0')
  })

  it('--fail-under: exit 3 with a line naming the metric when it misses, 0 when it passes', () => {
    const out = join(dir, 'gate.json')
    const bad = runCli(['eval', F('mc.jsonl'), '-m', model, '--fail-under', 'acc=1.01', '--fail-under', 'acc_norm=0', '--output', out])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/gate failed: mc acc = [\d.]+ is below the gate 1\.01/)
    expect(bad.stderr).not.toMatch(/acc_norm/)
    expect(existsSync(out)).toBe(true) // the run finished: its results are kept
    const good = runCli(['eval', 'lambada_openai', '-m', model, '--limit', '3', '--fail-under', 'perplexity=1e12'])
    expect(good.code, good.stderr).toBe(0)
  })

  it('--compare prints deltas with a paired bootstrap interval', () => {
    const a = join(dir, 'ca.json'), b = join(dir, 'cb.json')
    expect(runCli(['eval', 'arc_easy', '-m', model, '--limit', '10', '-o', a]).code).toBe(0)
    expect(runCli(['eval', 'arc_easy', '-m', model, '--limit', '10', '--num-fewshot', '1', '-o', b]).code).toBe(0)
    const r = runCli(['eval', '--compare', a, b])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/arc_easy {2}acc: a [\d.]+ {2}b [\d.]+ {2}Δ [+-][\d.]+ {2}95% CI \[[-\d.]+, [-\d.]+\]/)
    const self = JSON.parse(runCli(['eval', '--compare', a, a, '--json']).stdout)
    expect(self.comparisons.map((c: { ci: { delta: number; low: number; high: number } }) => [c.ci.delta, c.ci.low, c.ci.high])).toEqual([[0, 0, 0], [0, 0, 0]])
  })

  describe('bad input: one line, non-zero exit, no files left behind', () => {
    const noFiles = (sub: string): void => expect(readdirSync(join(dir, sub))).toEqual([])
    const run = (sub: string, args: string[]): ReturnType<typeof runCli> => {
      rmSync(join(dir, sub), { recursive: true, force: true })
      const d = join(dir, sub)
      mkdirSync(d)
      return runCli(['eval', ...args, '-m', model, '--output', join(d, 'r.json'), '--log-samples', join(d, 's.jsonl')])
    }
    it('malformed JSONL names file:line', () => {
      const r = run('m', [F('malformed.jsonl')])
      expect(r.code).toBe(1)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(/malformed\.jsonl:2: not valid JSON: /)
      noFiles('m')
    })
    it('an unknown task lists the built-ins', () => {
      const r = run('u', ['no_such_task'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/unknown task 'no_such_task'.*arc_easy/)
      noFiles('u')
    })
    it('a missing field names the field and the line', () => {
      const r = run('f', [F('missing-field.jsonl')])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/missing-field\.jsonl:2: missing field 'choices'/)
      noFiles('f')
    })
    it('--fail-under on a metric the task lacks', () => {
      const r = run('g', [F('mc.jsonl'), '--fail-under', 'bleu=10'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/--fail-under: this task has no metric 'bleu' \(hint: metrics: acc, acc_norm\)/)
      noFiles('g')
    })
  })
})
