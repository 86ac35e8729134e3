import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { rouge, rougeScoreTokenize } from '../../../src/core/eval/metrics/rouge.js'
import { unwrapTldrCompletion, unwrapTldrPrompt } from '../../../src/core/eval/tasks/summarization.js'
import { extractiveSummary, reduceToTokens, sentences } from '../../../src/core/summarize/index.js'
import { needs, SHARED, shared } from '../../helpers.js'

const TEXT = [
  'The city council approved a new budget for public transport on Monday.',
  'The budget adds twelve electric buses and extends the night service on three routes.',
  'Council members argued for hours about the cost of the electric buses.',
  'A local bakery also celebrated its fiftieth anniversary this week.',
  'Critics say the night service extension comes too late for shift workers.',
  'The transport budget will be reviewed again next spring after a public consultation.',
].join(' ')

describe('extractive summaries', () => {
  it('returns whole sentences verbatim, in document order, within the sentence or word budget', () => {
    for (const algorithm of ['lexrank', 'textrank', 'lead'] as const) {
      const r = extractiveSummary(TEXT, { algorithm, sentences: 3 })
      expect(r.sentences).toHaveLength(3)
      expect(r.total).toBe(6)
      for (const [i, s] of r.sentences.entries()) expect(TEXT.slice(r.spans[i]!.start, r.spans[i]!.end)).toBe(s)
      expect(r.spans.map((s) => s.start)).toEqual([...r.spans.map((s) => s.start)].sort((a, b) => a - b))
    }
    expect(extractiveSummary(TEXT, { algorithm: 'lead', sentences: 2 }).sentences).toEqual(sentences(TEXT).slice(0, 2).map((s) => TEXT.slice(s.start, s.end)))
    const w = extractiveSummary(TEXT, { maxWords: 25 })
    expect(w.sentences.join(' ').split(/\s+/).length).toBeLessThanOrEqual(25)
    // the off-topic sentence is the least central
    expect(extractiveSummary(TEXT, { sentences: 5, position: 0 }).sentences.join(' ')).not.toContain('bakery')
  })

  it('--focus pulls the ranking toward it (biased LexRank)', () => {
    const plain = extractiveSummary(TEXT, { sentences: 1, position: 0 }).sentences[0]
    const focused = extractiveSummary(TEXT, { sentences: 1, position: 0, focus: 'bakery anniversary' }).sentences[0]
    expect(focused).toContain('bakery')
    expect(plain).not.toContain('bakery')
  })

  it('works in any script: Chinese sentences and words through Intl.Segmenter', () => {
    const zh = '北京是中国的首都。北京有很多历史古迹，比如故宫和长城。上海是中国最大的城市。故宫是明清两代的皇宫，位于北京市中心。我今天吃了一个苹果。'
    const r = extractiveSummary(zh, { sentences: 2, position: 0 })
    expect(r.total).toBe(5)
    for (const s of r.sentences) expect(zh).toContain(s)
    expect(r.sentences.join('')).not.toContain('苹果')
  })

  it('a text of more sentences than one graph holds is ranked block by block', () => {
    const many = Array.from({ length: 600 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7} and item ${i % 13}.`).join(' ')
    const r = extractiveSummary(many, { sentences: 4, blockSentences: 200 })
    expect(r.blocks).toBe(4)
    expect(r.sentences).toHaveLength(4)
    for (const s of r.sentences) expect(many).toContain(s)
  })

  it('reduceToTokens: never above the budget, verbatim sentences or a word-boundary prefix', () => {
    const count = (s: string): number => s.split(/\s+/).filter(Boolean).length
    for (const n of [1, 5, 14, 30, 200]) {
      const out = reduceToTokens(TEXT, n, count)
      expect(count(out)).toBeLessThanOrEqual(Math.max(1, n))
      expect(out.length).toBeGreaterThan(0)
      expect(TEXT).toContain(out.split(/(?<=\.) /)[0]!)
    }
    expect(reduceToTokens(TEXT, 1000, count)).toBe(TEXT)
  })
})

needs(SHARED).describe('extractive on CNN/DailyMail (../shared/data/summarization, 200 truncated articles)', () => {
  let docs: { article: string; ref: string }[]
  beforeAll(() => {
    docs = readFileSync(shared('data/summarization/cnn_dailymail_3_0_0_tldr_summary.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const o = JSON.parse(l) as { prompt: string; completion: string }
      return { article: unwrapTldrPrompt(o.prompt), ref: unwrapTldrCompletion(o.completion) }
    })
  })

  it('ROUGE-1 at least lead-3\'s at the same 3 sentences, sentences verbatim', () => {
    let ours = 0
    let lead = 0
    let plain = 0
    for (const d of docs) {
      const r = extractiveSummary(d.article, { sentences: 3 })
      for (const s of r.sentences) expect(d.article).toContain(s)
      // lead-3: the first three sentences, as the baseline is defined
      const first3 = sentences(d.article).slice(0, 3).map((s) => d.article.slice(s.start, s.end)).join(' ')
      ours += rouge(d.ref, r.sentences.join(' '), rougeScoreTokenize).rouge1.fmeasure
      lead += rouge(d.ref, first3, rougeScoreTokenize).rouge1.fmeasure
      plain += rouge(d.ref, extractiveSummary(d.article, { sentences: 3, position: 0 }).sentences.join(' '), rougeScoreTokenize).rouge1.fmeasure
    }
    const n = docs.length
    console.log(`CNN/DM ROUGE-1 (rouge-score tokenizer): directed LexRank ${(100 * ours / n).toFixed(2)}, lead-3 ${(100 * lead / n).toFixed(2)}, undirected LexRank ${(100 * plain / n).toFixed(2)} (${n} articles)`)
    expect(ours).toBeGreaterThanOrEqual(lead)
    expect(ours).toBeGreaterThan(plain)
  })
})
