import { Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { dbPath, readDb } from '../../core/db/index.js'
import { deleteRequestsBefore, parseDate } from '../../core/db/logs.js'

export default class LogsRm extends BaseCommand {
  static override summary = 'Delete logged requests older than a date.'
  static override examples = ['<%= config.bin %> logs rm --before 2026-11-01', '<%= config.bin %> logs rm --before 2026-11-20T12:00:00Z --json']
  static override flags = { before: Flags.string({ description: 'delete requests logged before this date (YYYY-MM-DD = midnight UTC, or ISO 8601)', required: true }) }

  async run(): Promise<void> {
    const { flags } = await this.parse(LogsRm)
    const before = parseDate(flags.before, '--before') // a bad date fails even when nothing is logged
    const deleted = readDb((db) => deleteRequestsBefore(db, before), 0)
    if (flags.json) return this.outJson({ database: dbPath(), before, deleted })
    this.note(`deleted ${deleted} request(s) logged before ${before}`)
  }
}
