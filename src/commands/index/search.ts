import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag, deviceFlags } from '../../cli/flags.js'
import { readPipedStdin } from '../../cli/stdin.js'
import { usageError } from '../../core/errors.js'
import { indexSearch } from '../../core/index/index.js'
import { parseDevice } from '../../core/runtime/ort.js'

export default class IndexSearch extends BaseCommand {
  static override summary = 'Search an index: BM25, vector or hybrid (reciprocal rank fusion).'
  static override description =
    'QUERY (or piped stdin) is matched against the chunks. --mode hybrid (the default when the index has vectors) fuses the BM25 and vector rankings ' +
    'by reciprocal rank fusion (score = sum of 1/(60 + rank)); bm25 (the default without vectors) ranks by FTS5 bm25 over the query\'s content words; ' +
    'vector ranks by cosine similarity to the query\'s embedding. --json prints {query, mode, results: [{source, lines, chunk, score, text, bm25?, similarity?}]}.'

  static override examples = [
    '<%= config.bin %> index search notes "how do I rotate the keys?"',
    '<%= config.bin %> index search docs "reset password" -k 3 --mode bm25 --json',
  ]

  static override args = {
    name: Args.string({ description: 'index name (or use --db)', ignoreStdin: true }),
    query: Args.string({ description: 'the query (else piped stdin)', ignoreStdin: true }),
  }

  static override flags = {
    db: Flags.string({ description: 'index file instead of $LLM_HOME/index/NAME.sqlite' }),
    k: intFlag({ char: 'k', description: 'results to return', default: 5, min: 1, max: 4096 }),
    mode: Flags.option({ options: ['hybrid', 'bm25', 'vector'] as const, description: 'ranking (default: hybrid when the index has vectors, else bm25)' })(),
    ...deviceFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(IndexSearch)
    // with --db the first argument is the query
    const [name, queryArg] = flags.db && args.query === undefined ? [undefined, args.name] : [args.name, args.query]
    const query = queryArg ?? (await readPipedStdin())?.trim()
    if (!query) throw usageError('missing QUERY', { where: 'QUERY', hint: 'llm index search NAME "your question" (or pipe it on stdin)' })
    const { mode, hits } = await indexSearch({ name, db: flags.db }, query, { k: flags.k, mode: flags.mode, device: parseDevice(flags.device), threads: flags.threads })
    if (flags.json) {
      this.outJson({ query, mode, results: hits })
      return
    }
    if (hits.length === 0) { this.note(`no results for ${JSON.stringify(query)} (mode ${mode})`); return }
    this.out(hits.map((h, i) => `[${i + 1}] ${h.source}:${h.lines[0]}-${h.lines[1]}  score ${h.score.toFixed(4)}\n${indent(h.text)}\n`).join('\n'))
  }
}

function indent(text: string): string {
  const one = text.length > 400 ? text.slice(0, 400) + '…' : text
  return one.split('\n').map((l) => `    ${l}`).join('\n')
}
