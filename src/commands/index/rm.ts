import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { indexRemove } from '../../core/index/index.js'

export default class IndexRm extends BaseCommand {
  static override summary = 'Delete an index (its SQLite file and WAL side files).'
  static override examples = ['<%= config.bin %> index rm notes']

  static override args = { name: Args.string({ description: 'index name (or use --db)', ignoreStdin: true }) }
  static override flags = { db: Flags.string({ description: 'index file instead of $LLM_HOME/index/NAME.sqlite' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(IndexRm)
    const file = indexRemove({ name: args.name, db: flags.db })
    if (flags.json) this.outJson({ removed: args.name ?? file, file })
    else this.note(`removed index ${args.name ?? file} (${file})`)
  }
}
