import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Model } from '../../../src/core/model/load.js'
import { resolveTask, runTask } from '../../../src/core/eval/index.js'
import { rouge } from '../../../src/core/eval/metrics/rouge.js'
import { unwrapTldrCompletion, unwrapTldrPrompt } from '../../../src/core/eval/tasks/summarization.js'
import { needs, shared, SHARED } from '../../helpers.js'
import { tempDir } from '../model/fixtures.js'

const DOCS = [
  { document: 'The council approved the transport budget on Monday. It adds twelve electric buses. A bakery turned fifty.', summary: 'Council approves budget with twelve electric buses.' },
  { document: 'Heavy rain flooded the old town. Shops on the main street closed. The river is expected to fall by Friday.', summary: 'Rain floods the old town; river to fall by Friday.' },
]

describe('llm eval: the summarization task type', () => {
  let model: Model
  beforeAll(async () => { model = await Model.load(undefined) }) // the bundled model: no chat template → extractive
  afterAll(async () => { await model?.release() })

  it('a bare {document, summary} JSONL file is a summarization task scored with ROUGE-1/2/L', async () => {
    const f = join(tempDir('llm-evsum-'), 'sum.jsonl')
    writeFileSync(f, DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n')
    const task = resolveTask(f)
    expect(task.type).toBe('summarization')
    expect(task.metrics).toEqual(['rouge1', 'rouge2', 'rougeL'])
    const r = await runTask(model, task)
    expect(r.samples).toHaveLength(2)
    for (const [i, s] of r.samples.entries()) {
      // each prediction is an extractive summary of its document, scored against its reference
      expect(DOCS[i]!.document).toContain(String(s.prediction).split('. ')[0]!)
      expect(s.metrics!.rouge1).toBeCloseTo(100 * rouge(DOCS[i]!.summary, String(s.prediction)).rouge1.fmeasure, 10)
    }
    expect(r.metrics.rouge1!.value).toBeCloseTo((r.samples[0]!.metrics!.rouge1! + r.samples[1]!.metrics!.rouge1!) / 2, 10)
  })

  it('a task file sets the summarizer (summarize: {...}); bad keys are refused', async () => {
    const dir = tempDir('llm-evsum-')
    writeFileSync(join(dir, 'd.jsonl'), DOCS.map((d) => JSON.stringify({ text: d.document, ref: d.summary })).join('\n'))
    writeFileSync(join(dir, 't.yaml'), 'task: mine\ntype: summarization\ndata: d.jsonl\ndoc_to_text: "{{text}}"\ndoc_to_target: "{{ref}}"\nsummarize: { method: extractive, algorithm: lead, sentences: 1 }\n')
    const r = await runTask(model, resolveTask(join(dir, 't.yaml')))
    expect(r.samples.map((s) => s.prediction)).toEqual(['The council approved the transport budget on Monday.', 'Heavy rain flooded the old town.'])
    writeFileSync(join(dir, 'bad.yaml'), 'type: summarization\ndata: d.jsonl\nsummarize: { sentense: 2 }\n')
    expect(() => resolveTask(join(dir, 'bad.yaml'))).toThrow(/unknown key 'summarize.sentense'/)
  })

  needs(SHARED).it('built-in cnn_dailymail_summarize: ROUGE-1 at least the lead-3 task on the same 200 articles', async () => {
    const ours = await runTask(model, resolveTask('cnn_dailymail_summarize'))
    const dir = tempDir('llm-evsum-')
    writeFileSync(join(dir, 'lead3.yaml'), `type: summarization\ndata: ${shared('data/summarization/cnn_dailymail_3_0_0_tldr_summary.jsonl')}\ndoc_to_text: "{{prompt}}"\ndoc_to_target: "{{completion}}"\nsummarize: { unwrap: tldr, algorithm: lead, sentences: 3 }\n`)
    const lead = await runTask(model, resolveTask(join(dir, 'lead3.yaml')))
    expect(ours.nEffective).toBe(200)
    console.log(`cnn_dailymail_summarize ROUGE-1/2/L: lexrank ${['rouge1', 'rouge2', 'rougeL'].map((m) => ours.metrics[m]!.value.toFixed(2)).join('/')}, lead-3 ${['rouge1', 'rouge2', 'rougeL'].map((m) => lead.metrics[m]!.value.toFixed(2)).join('/')}`)
    expect(ours.metrics.rouge1!.value).toBeGreaterThanOrEqual(lead.metrics.rouge1!.value)
  })

  it('unwraps the TL;DR wrappers of ../shared/data/summarization', () => {
    expect(unwrapTldrPrompt("Could you please generate a TLDR (Too Long Didn't Read) summary of the following news article?\n\nArticle: LONDON -- Text here. He will also...\n")).toBe('LONDON -- Text here. He will also')
    expect(unwrapTldrPrompt('Flood text.\nMore...\n\nTL;DR:\n')).toBe('Flood text.\nMore')
    expect(unwrapTldrCompletion('Line one .\nLine two .<|endoftext|>')).toBe('Line one .\nLine two .')
  })
})
