import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { formatBytes } from '../../ui/table.js'
import { indexInfo } from '../../core/index/index.js'

export default class IndexInfoCommand extends BaseCommand {
  static override summary = 'Describe an index: its files, chunks, chunking and embedding model.'
  static override examples = ['<%= config.bin %> index info notes', '<%= config.bin %> index info --db ./papers.sqlite --json']

  static override args = { name: Args.string({ description: 'index name (or use --db)', ignoreStdin: true }) }
  static override flags = {
    db: Flags.string({ description: 'index file instead of $LLM_HOME/index/NAME.sqlite' }),
    files: Flags.boolean({ description: 'list every source file', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(IndexInfoCommand)
    const x = indexInfo({ name: args.name, db: flags.db }, flags.files || flags.json)
    if (flags.json) { this.outJson(x); return }
    const m = x.meta
    const lines = [
      `index      ${x.name} (${x.file}, ${formatBytes(x.bytes)})`,
      `files      ${x.files} (${formatBytes(x.sourceBytes ?? 0)} of text)`,
      `chunks     ${x.chunks} (${x.tokens} ${m?.counter === 'model' ? 'tokens' : 'words'}; at most ${m?.chunkTokens ?? '-'} per chunk, overlap ${m?.chunkOverlap ?? '-'})`,
      `vectors    ${m?.embedModel ? `${m.dim}-d, ${m.embedKind} ${m.pooling} pooling, ${m.embedModel}` : 'none (BM25 only)'}`,
      `created    ${m?.createdAt ?? '-'}`,
    ]
    for (const s of x.sources ?? []) lines.push(`  ${s.path}  ${s.chunks} chunks  ${s.hash.slice(0, 12)}`)
    this.out(lines.join('\n') + '\n')
  }
}
