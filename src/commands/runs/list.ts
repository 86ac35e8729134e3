import { Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag } from '../../cli/flags.js'
import { formatTable } from '../../ui/table.js'
import { dbPath, readDb } from '../../core/db/index.js'
import { listRuns } from '../../core/runs/index.js'

export default class RunsList extends BaseCommand {
  static override summary = 'List tracked runs (pretrain, finetune, eval), newest first.'
  static override description = 'Runs are recorded in $LLM_HOME/llm.sqlite by llm pretrain and llm eval (not with LLM_NO_LOG=1); --mlflow DIR on those commands also writes MLflow\'s file store.'
  static override examples = ['<%= config.bin %> runs list', '<%= config.bin %> runs list --kind pretrain --json']
  static override flags = {
    kind: Flags.option({ options: ['pretrain', 'finetune', 'eval'] as const, description: 'only runs of this kind' })(),
    limit: intFlag({ char: 'n', description: 'most rows', default: 50, min: 1 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(RunsList)
    const runs = readDb((db) => listRuns(db, { kind: flags.kind, limit: flags.limit }), [])
    if (flags.json) return this.outJson({ database: dbPath(), runs })
    if (runs.length === 0) return this.note(`no runs recorded in ${dbPath()}`)
    const summary = (s: Record<string, unknown> | null) => Object.entries(s ?? {}).filter(([, v]) => typeof v === 'number').slice(0, 3)
      .map(([k, v]) => `${k}=${+(v as number).toPrecision(5)}`).join(' ')
    this.out(formatTable(['ID', 'KIND', 'NAME', 'STATUS', 'STARTED (UTC)', 'SUMMARY'], runs.map((r) => [
      r.id.slice(0, 8), r.kind, r.name, r.status, r.started_at.slice(0, 19).replace('T', ' '), summary(r.summary),
    ])))
  }
}
