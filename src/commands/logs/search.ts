import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag } from '../../cli/flags.js'
import { requestTable } from './list.js'
import { dbPath, readDb } from '../../core/db/index.js'
import { searchRequests } from '../../core/db/logs.js'

export default class LogsSearch extends BaseCommand {
  static override summary = 'Full-text search of logged prompts and responses (SQLite FTS5), best match first.'
  static override description = 'QUERY is FTS5 syntax: words (all must match), "a phrase", a OR b, prefix*, prompt:word or response:word. Text that is not valid FTS5 is searched as plain words.'
  static override examples = ['<%= config.bin %> logs search romeo', '<%= config.bin %> logs search \'"once upon" OR dragon*\' --json', '<%= config.bin %> logs search response:error']
  static override args = { query: Args.string({ description: 'what to look for', required: true, ignoreStdin: true }) }
  static override flags = { limit: intFlag({ char: 'n', description: 'most rows', default: 20, min: 1 }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LogsSearch)
    const rows = readDb((db) => searchRequests(db, args.query, flags.limit), [])
    if (flags.json) return this.outJson({ database: dbPath(), query: args.query, requests: rows })
    if (rows.length === 0) return this.note(`no logged request matches ${JSON.stringify(args.query)}`)
    this.out(requestTable(rows))
  }
}
