import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { removeStored } from '../../core/store/index.js'
import { formatBytes } from '../../ui/table.js'

export default class ModelsRm extends BaseCommand {
  static override summary = 'Delete a model from the local store.'
  static override description = 'Also deletes an unfinished download of it. NAME is OWNER/NAME (or just NAME when unique).'
  static override examples = ['<%= config.bin %> models rm karpathy/tinyllamas']

  static override args = {
    name: Args.string({ description: 'model name, as `llm models list` prints it', required: true, ignoreStdin: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ModelsRm)
    const info = removeStored(args.name)
    if (flags.json) this.outJson({ removed: info.name, path: info.path, size: info.size, files: info.files.length })
    else this.note(`removed ${info.name} (${formatBytes(info.size)}, ${info.files.length} files) from ${info.path}`)
  }
}
