import { Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag } from '../../cli/flags.js'
import { type RequestRow, listRequests, parseDate } from '../../core/db/logs.js'
import { formatTable } from '../../ui/table.js'
import { dbPath, readDb } from '../../core/db/index.js'

/** one line of a request for tables: newlines shown as ⏎, cut to `n` characters */
export function preview(s: string, n = 48): string {
  const one = s.replace(/\r?\n/g, '⏎')
  return one.length > n ? one.slice(0, n - 1) + '…' : one
}

export function requestTable(rows: RequestRow[]): string {
  return formatTable(['ID', 'TIME (UTC)', 'SOURCE', 'MODEL', 'STATUS', 'TOKENS', 'MS', 'PROMPT', 'RESPONSE'], rows.map((r) => [
    String(r.id), r.created_at.slice(0, 19).replace('T', ' '), r.source, r.model || '-', r.status === null ? '-' : String(r.status),
    `${r.prompt_tokens ?? '-'}+${r.completion_tokens ?? '-'}`, r.duration_ms === null ? '-' : String(Math.round(r.duration_ms)),
    preview(r.prompt, 32), preview(r.error ?? r.response, 40),
  ]), ['right', 'left', 'left', 'left', 'right', 'right', 'right', 'left', 'left'])
}

export default class LogsList extends BaseCommand {
  static override summary = 'List logged requests (serve, generate, chat), newest first.'
  static override description = 'The log is the requests table of $LLM_HOME/llm.sqlite. Logging is on unless a command gets --no-log or LLM_NO_LOG=1 is set.'
  static override examples = ['<%= config.bin %> logs list', '<%= config.bin %> logs list --source serve --limit 50 --json', '<%= config.bin %> logs list --since 2026-11-20']

  static override flags = {
    limit: intFlag({ char: 'n', description: 'most rows', default: 20, min: 1 }),
    source: Flags.option({ options: ['serve', 'generate', 'chat'] as const, description: 'only requests from this command' })(),
    model: Flags.string({ char: 'm', description: 'only requests to this model (as logged)' }),
    since: Flags.string({ description: 'only requests at or after this date (YYYY-MM-DD or ISO 8601)' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(LogsList)
    const since = flags.since === undefined ? undefined : parseDate(flags.since, '--since') // a bad date fails even when nothing is logged
    const rows = readDb((db) => listRequests(db, { limit: flags.limit, source: flags.source, model: flags.model, since }), [])
    if (flags.json) return this.outJson({ database: dbPath(), requests: rows })
    if (rows.length === 0) return this.note(`no requests logged in ${dbPath()}`)
    this.out(requestTable(rows))
  }
}
