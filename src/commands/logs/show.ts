import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { LlmError, usageError } from '../../core/errors.js'
import { dbPath, readDb } from '../../core/db/index.js'
import { getRequest } from '../../core/db/logs.js'

export default class LogsShow extends BaseCommand {
  static override summary = 'Show one logged request in full: prompt or messages, response, tokens, timings, options.'
  static override examples = ['<%= config.bin %> logs show 42', '<%= config.bin %> logs show 42 --json']
  static override args = { id: Args.string({ description: 'request id (see llm logs list)', required: true, ignoreStdin: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LogsShow)
    const id = Number(args.id)
    if (!Number.isInteger(id) || id < 1) throw usageError(`'${args.id}' is not a request id`, { where: 'ID', hint: 'a number from llm logs list' })
    const r = readDb((db) => getRequest(db, id), undefined)
    if (!r) throw new LlmError(`no request ${id} in the log`, { where: dbPath(), hint: "see 'llm logs list'" })
    if (flags.json) return this.outJson(r)
    const lines = [
      `id:        ${r.id}`, `time:      ${r.created_at}`, `source:    ${r.source}${r.endpoint ? ' ' + r.endpoint : ''}`, `model:     ${r.model}`,
      ...(r.status !== null ? [`status:    ${r.status}${r.error ? ' ' + r.error : ''}`] : []),
      `tokens:    ${r.prompt_tokens ?? '-'} prompt + ${r.completion_tokens ?? '-'} completion`,
      `timings:   ${r.duration_ms ?? '-'} ms total, ${r.prefill_ms ?? '-'} ms prefill, ${r.decode_ms ?? '-'} ms decode`,
      `finish:    ${r.finish_reason ?? '-'}`, `options:   ${JSON.stringify(r.options ?? {})}`, ...(r.client ? [`client:    ${r.client}`] : []), '',
      ...(r.messages ? r.messages.flatMap((m) => [`[${m.role}]`, m.content, '']) : ['[prompt]', r.prompt, '']),
      '[response]', r.response,
    ]
    this.out(lines.join('\n') + '\n')
  }
}
