/** Tasks, templates, few-shot sampling, data reading and gates: pure logic, no model. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LlmError } from '../../../src/core/errors.js'
import { aggregate, buildInstances, checkGates, hellaswagPreprocess, parseGate, parseJsonl, render, resolveTask, sampleFewshot, statistic, wikitextArticles, wikitextDetokenize } from '../../../src/core/eval/index.js'
import { needs, repoRoot, SHARED } from '../../helpers.js'

const tmp = mkdtempSync(join(tmpdir(), 'llm-eval-tasks-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const write = (name: string, text: string): string => { const p = join(tmp, name); writeFileSync(p, text); return p }
const errorOf = (f: () => unknown): LlmError => { try { f() } catch (e) { return e as LlmError } throw new Error('no error thrown') }

describe('data and templates', () => {
  it('JSONL: blank lines and CRLF are fine; a bad line is FILE:LINE', () => {
    expect(parseJsonl('{"a":1}\r\n\n{"a":2}\n', 'f.jsonl').map((d) => [d.doc.a, d.where])).toEqual([[1, 'f.jsonl:1'], [2, 'f.jsonl:3']])
    expect(errorOf(() => parseJsonl('{"a":1}\n[1,2]\n', 'f.jsonl')).oneLine()).toBe('f.jsonl:2: expected a JSON object on this line')
    expect(errorOf(() => parseJsonl('{"a":1}\n{"a":\n', 'f.jsonl')).oneLine()).toMatch(/^f\.jsonl:2: not valid JSON: /)
  })
  it('templates fill {{field}}, {{ field|trim }}, and name a missing field with its line', () => {
    const d = { doc: { q: ' Why? \n', n: 3 }, where: 'x.jsonl:7' }
    expect(render('Q: {{ q|trim }}\nA ({{n}}):', d)).toBe('Q: Why?\nA (3):')
    expect(errorOf(() => render('{{nope}}', d)).oneLine()).toMatch(/^x\.jsonl:7: missing field 'nope'/)
  })
  // expected value printed by the same steps in Python (strip, replace, re.sub, replace)
  it('hellaswag preprocessing (lm-eval utils.preprocess)', () => {
    expect(hellaswagPreprocess(' Making a cake [title] Mix the flour.  [step] Bake it. ')).toBe('Making a cake. Mix the flour.  Bake it.') // Python's str.replace: 3 spaces become 2
  })
  it('wikitext detokenizer and article split', () => {
    expect(wikitextDetokenize('a 3 @,@ 000 @-@ strong army , said " hello " ( in 1990 ) .')).toBe('a 3,000-strong army, said "hello" (in 1990) .')
    const text = ' \n = Alpha = \n \n Alpha is a letter . \n \n = = History = = \n \n Old . \n = Beta = \n \n Beta too . \n'
    const arts = wikitextArticles(text)
    expect(arts).toHaveLength(2)
    expect(arts[0]).toMatch(/^= Alpha =\n/)
    expect(arts[0]).toContain('== History ==')
    expect(arts[1]).toMatch(/^= Beta =/)
  })
})

describe('resolving tasks', () => {
  it('a bare JSONL file is typed by its fields', () => {
    expect(resolveTask(write('mc.jsonl', '{"query":"q","choices":["a","b"],"gold":1}\n')).type).toBe('multiple_choice')
    expect(resolveTask(write('hs.jsonl', '{"ctx":"c","endings":["a","b"],"label":1}\n'))).toMatchObject({ type: 'multiple_choice', preprocess: 'hellaswag', choicesField: 'endings' })
    expect(resolveTask(write('cl.jsonl', '{"context":"c","continuation":"x"}\n')).type).toBe('cloze')
    expect(resolveTask(write('gen.jsonl', '{"prompt":"c","completion":"x"}\n')).type).toBe('generate')
    expect(resolveTask(write('t.jsonl', '{"text":"hello"}\n'))).toMatchObject({ type: 'perplexity', textFormat: 'jsonl' })
    expect(resolveTask(write('t.txt', 'hello'))).toMatchObject({ type: 'perplexity', textFormat: 'whole' })
    expect(errorOf(() => resolveTask(write('odd.jsonl', '{"foo":1}\n'))).oneLine()).toMatch(/odd\.jsonl:1: cannot tell the task type from the fields foo/)
  })
  it('unknown names are usage errors listing the built-ins', () => {
    const e = errorOf(() => resolveTask('nope_task'))
    expect(e.exitCode).toBe(2)
    expect(e.oneLine()).toMatch(/unknown task 'nope_task'.*arc_easy, piqa, hellaswag, lambada_openai, wikitext/)
  })
  needs(SHARED).it('built-ins find ../shared/data; --data replaces the file', () => {
    expect(resolveTask('lambada_openai')).toMatchObject({ type: 'cloze', targetDelimiter: ' ' })
    const mine = write('mine.jsonl', '{"ctx":"c","endings":["a","b"],"label":0}\n')
    expect(resolveTask('hellaswag', { data: mine }).data).toBe(mine)
  })
  it('task files: checked keys, types and metrics', () => {
    write('d.jsonl', '{"q":"x","c":["a","b"],"g":0}\n{"q":"y","c":["a","b"],"g":1}\n{"q":"z","c":["a","b"],"g":1}\n')
    const ok = resolveTask(write('ok.yaml', 'task: t\ntype: multiple_choice\ndata: d.jsonl\ndoc_to_text: "{{q}}"\nchoices_field: c\ngold_field: g\nnum_fewshot: 1\n'))
    expect(ok).toMatchObject({ name: 't', numFewshot: 1, metrics: ['acc', 'acc_norm'], data: join(tmp, 'd.jsonl') })
    expect(errorOf(() => resolveTask(write('k.yaml', 'type: cloze\ndata: d.jsonl\nfewshot: 2\n'))).oneLine()).toMatch(/k\.yaml: unknown key 'fewshot'/)
    expect(errorOf(() => resolveTask(write('ty.yaml', 'type: qa\ndata: d.jsonl\n'))).oneLine()).toMatch(/'type' must be one of/)
    expect(errorOf(() => resolveTask(write('me.yaml', 'type: cloze\ndata: d.jsonl\nmetrics: [bleu]\n'))).oneLine()).toMatch(/'metrics' must be a list drawn from acc, perplexity/)
    const js = resolveTask(write('t.json', JSON.stringify({ task: 'js', type: 'cloze', data: 'd.jsonl', doc_to_text: '{{q}}', doc_to_target: '{{g}}', metrics: ['acc'] })))
    expect(js).toMatchObject({ name: 'js', type: 'cloze', metrics: ['acc'], docToTarget: '{{g}}' })
    const inst = buildInstances(ok, { seed: 5 })
    if (inst.type !== 'multiple_choice') throw new Error('mc expected')
    expect(inst.items.map((i) => i.gold)).toEqual([0, 1, 1])
    // one example: "<q of another item> <its gold choice>\n\n<q>"
    for (const it of inst.items) expect(it.context).toMatch(/^[xyz] [ab]\n\n[xyz]$/)
    expect(inst.items.every((it) => !it.context.startsWith(it.context.slice(-1)))).toBe(true)
  })
})

describe('few-shot sampler', () => {
  it('is seeded per (seed, item), distinct, never the item itself', () => {
    const a = sampleFewshot(50, 5, 7, 1234, 7)
    expect(a).toEqual(sampleFewshot(50, 5, 7, 1234, 7))
    expect(new Set(a).size).toBe(5)
    expect(a).not.toContain(7)
    expect(sampleFewshot(50, 5, 7, 1235, 7)).not.toEqual(a)
    expect(sampleFewshot(50, 0, 7, 1, 7)).toEqual([])
    expect(errorOf(() => sampleFewshot(3, 3, 0, 1, 0)).oneLine()).toMatch(/--num-fewshot: cannot draw 3 few-shot examples from 2 other items/)
  })
})

describe('gates and statistics', () => {
  const task = resolveTask(join(repoRoot, 'test/fixtures/eval/story.txt'))
  const result = aggregate(task, [{ doc_id: 0, arguments: [], loglikelihoods: [-100], tokens: 50, words: 20, bytes: 80 }], 1)
  it('perplexity metrics follow lm-eval definitions', () => {
    expect(result.metrics.token_perplexity!.value).toBeCloseTo(Math.exp(2), 12)
    expect(result.metrics.word_perplexity!.value).toBeCloseTo(Math.exp(5), 12)
    expect(result.metrics.byte_perplexity!.value).toBeCloseTo(Math.exp(1.25), 12)
    expect(result.metrics.bits_per_byte!.value).toBeCloseTo(1.25 / Math.LN2, 12)
    expect(statistic('word_perplexity', result.perSample, [0, 0])).toBeCloseTo(Math.exp(5), 12)
  })
  it('METRIC=VALUE parsing; lower-is-better metrics fail above the value', () => {
    expect(parseGate('word_perplexity=100', task.metrics)).toEqual({ metric: 'word_perplexity', threshold: 100 })
    expect(errorOf(() => parseGate('acc', task.metrics)).oneLine()).toMatch(/--fail-under: expected METRIC=VALUE, got 'acc'/)
    expect(errorOf(() => parseGate('acc=0.5', task.metrics)).oneLine()).toMatch(/no metric 'acc'/)
    expect(errorOf(() => parseGate('bits_per_byte=x', task.metrics)).exitCode).toBe(2)
    expect(checkGates(result, [{ metric: 'word_perplexity', threshold: 200 }])).toEqual([])
    expect(checkGates(result, [{ metric: 'word_perplexity', threshold: 100 }])[0]).toMatch(/word_perplexity = 148\.4\d+ is above the gate 100 \(lower is better\)/)
  })
})
