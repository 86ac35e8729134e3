import { BaseCommand } from '../../cli/base-command.js'
import { formatBytes, formatTable } from '../../ui/table.js'
import { indexDir, indexList } from '../../core/index/index.js'

export default class IndexList extends BaseCommand {
  static override summary = 'List the search indexes in $LLM_HOME/index.'
  static override examples = ['<%= config.bin %> index list', '<%= config.bin %> index list --json']

  async run(): Promise<void> {
    const { flags } = await this.parse(IndexList)
    const all = indexList()
    if (flags.json) {
      this.outJson({ dir: indexDir(), indexes: all.map((x) => ({ name: x.name, file: x.file, bytes: x.bytes, files: x.files, chunks: x.chunks, embed_model: x.meta?.embedModel ?? null })) })
      return
    }
    if (all.length === 0) { this.note(`no indexes in ${indexDir()} (create one with 'llm index add NAME PATH…')`); return }
    const rows = all.map((x) => [x.name, String(x.files), String(x.chunks), formatBytes(x.bytes), x.meta?.embedModel ?? (x.meta ? 'BM25 only' : '-')])
    this.out(formatTable(['NAME', 'FILES', 'CHUNKS', 'SIZE', 'VECTORS'], rows, ['left', 'right', 'right', 'right', 'left']))
  }
}
