import { BaseCommand } from '../../cli/base-command.js'
import { listTemplates, templatesDir } from '../../core/prompts/index.js'
import { formatTable } from '../../ui/table.js'

export default class TemplatesList extends BaseCommand {
  static override summary = 'List the prompt templates: built-ins and yours.'
  static override description =
    'Your templates are NAME.yaml files in $LLM_TEMPLATES, else $XDG_CONFIG_HOME/llm/templates, else ~/.config/llm/templates; one named like a built-in replaces it. ' +
    'Use one with -t NAME (or -t FILE) on generate, chat and summarize, and set its variables with -p KEY VALUE.'

  static override examples = ['<%= config.bin %> templates list', '<%= config.bin %> templates list --json']

  async run(): Promise<void> {
    const { flags } = await this.parse(TemplatesList)
    const list = listTemplates()
    if (flags.json) {
      this.outJson({ dir: templatesDir(), templates: list })
      return
    }
    this.out(formatTable(['NAME', 'SOURCE', 'DESCRIPTION'], list.map((t) => [t.name, t.source, t.description]), ['left', 'left', 'left']))
  }
}
