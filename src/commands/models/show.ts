import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { describeStored, requireStoredModel, summarizeConfig } from '../../core/store/index.js'
import { formatBytes, formatTable } from '../../ui/table.js'

export default class ModelsShow extends BaseCommand {
  static override summary = "Show a stored model's architecture and files."
  static override description =
    'NAME is OWNER/NAME (or just NAME when only one stored repository has it). Numbers come from config.json (falling back to genai_config.json).'

  static override examples = ['<%= config.bin %> models show karpathy/tinyllamas', '<%= config.bin %> models show tinyllamas --json']

  static override args = {
    name: Args.string({ description: 'model name, as `llm models list` prints it', required: true, ignoreStdin: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ModelsShow)
    const info = describeStored(requireStoredModel(args.name))
    const config = summarizeConfig(info.path)
    if (flags.json) {
      this.outJson({ name: info.name, path: info.path, size: info.size, revision: info.revision ?? null, commit: info.commit ?? null, config, files: info.files })
      return
    }
    const fields: Array<[string, string | number | undefined]> = [
      ['name', info.name],
      ['path', info.path],
      ['commit', info.commit ? `${info.commit} (${info.revision})` : undefined],
      ['architecture', config.architecture],
      ['layers', config.layers],
      ['hidden size', config.hidden_size],
      ['intermediate size', config.intermediate_size],
      ['attention heads', config.heads],
      ['kv heads', config.kv_heads],
      ['vocab size', config.vocab_size],
      ['context length', config.context_length],
      ['dtype', config.dtype],
      ['size', `${formatBytes(info.size)} in ${info.files.length} files`],
    ]
    let text = fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${(k + ':').padEnd(19)}${v}`).join('\n') + '\n'
    if (!config.source) text += `${'config:'.padEnd(19)}none (no config.json or genai_config.json)\n`
    text += '\n' + formatTable(['FILE', 'SIZE'], info.files.map((f) => [f.name, formatBytes(f.size)]), ['left', 'right'])
    this.out(text)
  }
}
