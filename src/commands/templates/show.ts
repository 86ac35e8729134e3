import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { resolveTemplate, templateToYaml } from '../../core/prompts/index.js'

export default class TemplatesShow extends BaseCommand {
  static override summary = 'Print a prompt template as YAML (a starting point for your own).'
  static override description =
    'Keys: system, prompt (with {{input}} where the input goes, as a delimited data block, and {{NAME}} for variables; ' +
    '{{#NAME}}…{{/NAME}} keeps its text only when NAME is set), variables (NAME: default, null = required), examples (few-shot {input, output}) ' +
    'and options (temperature, top_k, top_p, min_p, repeat_penalty, max_tokens, seed, stop).'

  static override examples = ['<%= config.bin %> templates show translate', '<%= config.bin %> templates show summarize > ~/.config/llm/templates/my-summary.yaml']

  static override args = {
    name: Args.string({ description: 'template name or file', required: true, ignoreStdin: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TemplatesShow)
    const t = resolveTemplate(args.name)
    if (flags.json) this.outJson({ name: t.name, source: t.source, description: t.description, system: t.system ?? null, prompt: t.prompt, variables: t.variables, examples: t.examples, options: t.options })
    else this.out(templateToYaml(t))
  }
}
