import { BaseCommand } from '../../cli/base-command.js'
import { listStored, modelsDir } from '../../core/store/index.js'
import { formatBytes, formatTable } from '../../ui/table.js'

export default class ModelsList extends BaseCommand {
  static override summary = 'List the models in the local store.'
  static override description =
    'The store is $LLM_HOME/models (default $XDG_CACHE_HOME/llm/models, else ~/.cache/llm/models), one folder per Hugging Face repository named OWNER--NAME.'

  static override examples = ['<%= config.bin %> models list', '<%= config.bin %> models list --json']

  async run(): Promise<void> {
    const { flags } = await this.parse(ModelsList)
    const models = listStored()
    if (flags.json) {
      this.outJson({
        store: modelsDir(),
        models: models.map((m) => ({ name: m.name, path: m.path, size: m.size, files: m.files.length, revision: m.revision ?? null, commit: m.commit ?? null })),
      })
      return
    }
    if (models.length === 0) {
      this.note(`no models in ${modelsDir()} (download one with 'llm models pull OWNER/NAME')`)
      return
    }
    const rows = models.map((m) => [m.name, formatBytes(m.size), String(m.files.length), m.commit ? m.commit.slice(0, 10) : '-'])
    this.out(formatTable(['NAME', 'SIZE', 'FILES', 'COMMIT'], rows, ['left', 'right', 'right', 'left']))
  }
}
