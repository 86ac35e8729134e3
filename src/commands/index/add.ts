import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag, progressFlag, deviceFlags } from '../../cli/flags.js'
import { createProgress, type Progress } from '../../cli/progress.js'
import { indexAdd } from '../../core/index/index.js'
import { parseDevice } from '../../core/runtime/ort.js'

export default class IndexAdd extends BaseCommand {
  static override summary = 'Add files to a search index (BM25, plus vectors with --embed-model).'
  static override description =
    'Reads .txt, .md and .jsonl files (one document per line, its --text-field) and folders of them, recursively; chunks them at paragraph, ' +
    'then sentence boundaries with overlap; stores chunks, source path, line range, content hash and (with an embedding model) vectors in SQLite ' +
    '($LLM_HOME/index/NAME.sqlite, or --db FILE): FTS5 for BM25, sqlite-vec for vectors. Each file is one transaction: an interrupted add ' +
    'leaves every file wholly in or out. Adding again skips unchanged files and replaces changed ones. ' +
    'Without --embed-model (or $LLM_EMBED_MODEL) the index is BM25-only and chunk sizes count words; with one, its tokens. ' +
    'The model is fixed when the index is created; later adds reuse it.'

  static override examples = [
    '<%= config.bin %> index add notes ~/notes',
    '<%= config.bin %> index add docs manual.md faq.jsonl --embed-model ./all-MiniLM-L6-v2',
    '<%= config.bin %> index add papers abstracts.jsonl --text-field abstract --db ./papers.sqlite',
  ]

  static override args = {
    name: Args.string({ description: 'index name (or use --db)', required: true, ignoreStdin: true }),
  }
  static override strict = false

  static override flags = {
    db: Flags.string({ description: 'index file instead of $LLM_HOME/index/NAME.sqlite' }),
    'embed-model': Flags.string({ char: 'm', description: 'embedding model folder or store name, for a new index (default: $LLM_EMBED_MODEL, else none: BM25 only)' }),
    'chunk-tokens': intFlag({ description: 'most tokens per chunk, for a new index (default: 256 model tokens, or 200 words without a model)', min: 8 }),
    overlap: intFlag({ description: 'tokens shared by consecutive chunks, for a new index (default: chunk-tokens / 8)', min: 0 }),
    'text-field': Flags.string({ description: 'JSONL field holding the text', default: 'text' }),
    'batch-size': intFlag({ description: 'chunks per embedding forward pass', default: 16, min: 1 }),
    progress: progressFlag(),
    ...deviceFlags(),
  }

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(IndexAdd)
    const paths = (argv as string[]).slice(1)
    let bar: Progress | undefined
    const r = await indexAdd({ name: args.name, db: flags.db }, paths, {
      embedModel: flags['embed-model'], defaultEmbedModel: process.env.LLM_EMBED_MODEL || undefined,
      chunkTokens: flags['chunk-tokens'], overlap: flags.overlap, textField: flags['text-field'], batchSize: flags['batch-size'],
      device: parseDevice(flags.device), threads: flags.threads,
      onProgress: (done, total, _file, status) => { bar ??= createProgress(`index ${args.name}`, total, flags.progress); bar.update(done, { [status]: 1 }) },
    })
    bar?.finish()
    const summary = { index: args.name, file: r.file, files: r.files, added: r.added, replaced: r.replaced, unchanged: r.unchanged, chunks: r.chunks, vectors: r.meta.embedModel !== undefined, embed_model: r.meta.embedModel ?? null }
    if (flags.json) this.outJson(summary)
    else this.out(`${r.files} files: ${r.added} added, ${r.replaced} replaced, ${r.unchanged} unchanged; ${r.chunks} new chunks${summary.vectors ? ` with vectors (${r.meta.embedModel})` : ' (BM25 only)'} in ${r.file}\n`)
  }
}
