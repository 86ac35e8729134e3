import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { floatFlag, intFlag, runtimeFlags, samplingFlags, samplingFromFlags } from '../cli/flags.js'
import { readPipedStdin } from '../cli/stdin.js'
import { usageError } from '../core/errors.js'
import { ask, withIndex, search } from '../core/index/index.js'
import { Model } from '../core/model/index.js'
import { parseDevice } from '../core/runtime/ort.js'

export default class Ask extends BaseCommand {
  static override summary = 'Answer a question from an index: retrieve, then generate with numbered citations.'
  static override description =
    'Searches --index (hybrid when it has vectors, else BM25), keeps the relevant chunks (those matching the question\'s content words, or with --min-similarity, that similar), ' +
    'and puts them as numbered sources inside nonce-marked delimiters that the text cannot forge; the model is told to cite them as [1], [2]. ' +
    'Sources are fitted to the model\'s context (fewer, then a shorter last one; the prompt is never cut). When nothing relevant is found it says so and generates nothing. ' +
    'Prints the answer, then the sources; --json gives {answer, found, sources: [{n, source, lines, score, text}], sources_found, sources_used}. Takes generate\'s sampling flags.'

  static override examples = [
    '<%= config.bin %> ask "How do I rotate the keys?" --index notes -m ./chat-model',
    '<%= config.bin %> ask "Who wrote it?" --index docs -k 8 --temperature 0 --json',
  ]

  static override args = { question: Args.string({ description: 'the question (else piped stdin)', ignoreStdin: true }) }

  static override flags = {
    index: Flags.string({ description: 'index name (see llm index list)' }),
    db: Flags.string({ description: 'index file instead of --index NAME' }),
    model: Flags.string({ char: 'm', description: 'model that answers (default: $LLM_MODEL, else the bundled model)' }),
    k: intFlag({ char: 'k', description: 'chunks to retrieve', default: 4, min: 1, max: 4096 }),
    mode: Flags.option({ options: ['hybrid', 'bm25', 'vector'] as const, description: 'retrieval ranking (default: hybrid with vectors, else bm25)' })(),
    'min-similarity': floatFlag({ description: 'also count chunks with at least this cosine similarity as relevant (vector/hybrid)', min: -1, max: 1 }),
    ...samplingFlags(),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Ask)
    if (!flags.index && !flags.db) throw usageError('missing --index NAME', { where: '--index', hint: 'which index to answer from (see llm index list)' })
    const question = args.question ?? (await readPipedStdin())?.trim()
    if (!question) throw usageError('missing QUESTION', { where: 'QUESTION', hint: 'llm ask "your question" --index NAME' })
    const minSimilarity = flags['min-similarity']
    if (flags.mode === 'vector' && minSimilarity === undefined) throw usageError('--mode vector needs --min-similarity', { where: '--min-similarity', hint: 'vector hits carry no keyword match, so only a similarity threshold can make them relevant (e.g. --min-similarity 0.5)' })
    const sampling = samplingFromFlags(flags)
    const device = parseDevice(flags.device)
    const hits = await withIndex({ name: flags.index, db: flags.db }, flags.mode, { device, threads: flags.threads }, (index, embedder, mode) => search(index, question, { k: flags.k, mode, embedder }))
    const model = await Model.load(flags.model, { device, threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype })
    try {
      const r = await ask(model, question, hits, { maxTokens: flags['max-tokens'], sampling, minSimilarity })
      if (flags.json) { this.outJson(r); return }
      const cites = r.sources.map((s) => `[${s.n}] ${s.source}:${s.lines[0]}-${s.lines[1]}${s.shortened ? ' (shortened)' : ''}`)
      this.out(`${r.answer}\n${cites.length ? `\nSources (${r.sources_used} of ${r.sources_found} relevant):\n${cites.join('\n')}\n` : ''}`)
    } finally {
      await model.release()
    }
  }
}
