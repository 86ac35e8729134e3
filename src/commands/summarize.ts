import { readFileSync } from 'node:fs'
import { buffer } from 'node:stream/consumers'
import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, progressFlag, runtimeFlags, samplingFlag } from '../cli/flags.js'
import { createProgress, type Progress } from '../cli/progress.js'
import { fileError } from '../core/errors.js'
import { decodeDocument, LENGTHS } from '../core/summarize/input.js'
import { pairParams, parseParams } from '../core/prompts/params.js'
import { resolveTemplate } from '../core/prompts/index.js'
import { parseDevice } from '../core/runtime/ort.js'
import { runSummarize } from '../core/summarize/run.js'

export default class Summarize extends BaseCommand {
  static override summary = 'Summarize a document of any length (files or stdin): extractive or with a chat model, never truncated.'
  static override description = [
    'The document is chunked with the model\'s own tokenizer at paragraph and sentence boundaries; every model call fits the context with room for its answer.',
    'Strategies: stuff (one call), map-reduce (summarize chunks, then combine), tree (combine at most --fan-in at a time), refine (update a running summary chunk by chunk);',
    'auto = stuff when the document fits one call, else map-reduce. Levels shrink strictly (a call whose answer is not shorter is reduced extractively) and stop at --max-levels.',
    '--method auto is abstractive for a model with a chat template, else extractive (LexRank over sentences, verbatim, in document order).',
    'Document text reaches the model as delimited data it is told not to obey; special-token text in it never becomes control tokens.',
    '--json: {summary, method, strategy, chunks, levels, calls, max_prompt_tokens, context_length, truncated, timings, …}.',
  ].join(' ')

  static override examples = [
    'cat report.txt | <%= config.bin %> summarize',
    '<%= config.bin %> summarize -m ./chat-model report.txt --length short --format bullets',
    '<%= config.bin %> summarize -m ./chat-model book.txt --strategy tree --progress jsonl --json > summary.json',
    '<%= config.bin %> summarize notes.md --method extractive --sentences 5 --focus "budget"',
    '<%= config.bin %> summarize -m ./chat-model -t my-summary.yaml -p audience "new hires" handbook.txt',
  ]

  static override strict = false
  static override args = {
    file: Args.string({ description: 'text files (joined by a blank line); default: stdin', ignoreStdin: true }),
  }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    method: Flags.option({ options: ['auto', 'abstractive', 'extractive'] as const, description: 'auto: abstractive with a chat model, else extractive', default: 'auto' })(),
    strategy: Flags.option({ options: ['auto', 'stuff', 'map-reduce', 'refine', 'tree'] as const, description: 'how a long document is split across calls (abstractive)', default: 'auto' })(),
    length: Flags.option({ options: ['short', 'medium', 'long'] as const, description: `short/medium/long: ${Object.values(LENGTHS).map((l) => `${l.words} words or ${l.sentences} sentences`).join(' / ')}`, default: 'medium' })(),
    'max-words': intFlag({ description: 'at most this many words (overrides --length)', min: 1 }),
    sentences: intFlag({ description: 'extractive: this many sentences', min: 1 }),
    format: Flags.option({ options: ['paragraph', 'bullets'] as const, description: 'one paragraph, or "- " bullet points', default: 'paragraph' })(),
    focus: Flags.string({ description: 'what the summary should concentrate on' }),
    algorithm: Flags.option({ options: ['lexrank', 'textrank', 'lead'] as const, description: 'extractive ranking (lead = the first sentences, a baseline)', default: 'lexrank' })(),
    'chunk-tokens': intFlag({ description: 'most tokens of document per call (default: all the room a call has)', min: 16 }),
    overlap: intFlag({ description: 'tokens of the previous chunk repeated at the start of the next', default: 0, min: 0 }),
    'fan-in': intFlag({ description: 'tree: most summaries combined per call', default: 4, min: 2 }),
    'max-levels': intFlag({ description: 'most levels before the rest is reduced extractively', default: 8, min: 2 }),
    template: Flags.string({ char: 't', description: 'prompt template NAME or FILE (default: the built-in summarize)' }),
    param: Flags.string({ char: 'p', description: 'template variable: -p KEY VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
    temperature: samplingFlag('temperature', 'sampling temperature (default: the template\'s)'),
    seed: intFlag({ description: 'sampling seed', min: 0 }),
    progress: progressFlag(),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Summarize, pairParams(this.argv))
    const files = argv as string[]
    let bytes: Uint8Array
    let where: string
    if (files.length > 0) {
      bytes = Buffer.concat(files.flatMap((f, i) => {
        try { return [...(i > 0 ? [Buffer.from('\n\n')] : []), readFileSync(f)] } catch (err) { throw fileError(f, err) }
      }))
      where = files.join(', ')
    } else if (process.stdin.isTTY) {
      this.note('usage: llm summarize [FILE…] (or pipe the document on stdin); see llm summarize --help')
      this.exit(2)
    } else {
      bytes = await buffer(process.stdin)
      where = 'stdin'
    }
    const text = decodeDocument(bytes!, where!)
    const bars = new Map<string, Progress>()
    let last: Progress | undefined
    const r = await runSummarize(text, {
      model: flags.model, method: flags.method, strategy: flags.strategy, length: flags.length, maxWords: flags['max-words'],
      sentences: flags.sentences, format: flags.format, focus: flags.focus, algorithm: flags.algorithm,
      chunkTokens: flags['chunk-tokens'], overlapTokens: flags.overlap, fanIn: flags['fan-in'], maxLevels: flags['max-levels'],
      template: flags.template ? resolveTemplate(flags.template) : undefined, params: parseParams(flags.param),
      sampling: { temperature: flags.temperature, seed: flags.seed },
      device: parseDevice(flags.device), threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype,
      onNote: (l) => (last ? last.log(`llm summarize: ${l}`) : this.note(`llm summarize: ${l}`)),
      onEvent: (e) => {
        const label = e.level === 1 ? `summarize ${e.phase}` : `summarize ${e.phase} L${e.level}`
        let bar = bars.get(label)
        if (!bar) {
          last?.finish()
          bar = createProgress(label, e.total, flags.progress)
          bars.set(label, bar)
          last = bar
        }
        bar.update(e.done, { prompt_tokens: e.prompt_tokens, output_tokens: e.output_tokens, ...(e.reduced ? { reduced: 1 } : {}) })
      },
    })
    last?.finish()
    if (flags.json) this.outJson(r)
    else this.out(r.summary.endsWith('\n') ? r.summary : `${r.summary}\n`)
  }
}
