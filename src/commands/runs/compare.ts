import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { formatTable } from '../../ui/table.js'
import { compareRuns, findRun, readRuns } from '../../core/runs/index.js'

export default class RunsCompare extends BaseCommand {
  static override summary = 'Compare two runs: what differs in signature and params, and each shared metric\'s last value.'
  static override examples = ['<%= config.bin %> runs compare 3f2a 9c1b', '<%= config.bin %> runs compare baseline tuned --json']
  static override args = {
    a: Args.string({ description: 'run A (id, id prefix or name)', required: true, ignoreStdin: true }),
    b: Args.string({ description: 'run B', required: true, ignoreStdin: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RunsCompare)
    const c = readRuns(args.a, (db) => compareRuns(db, findRun(db, args.a), findRun(db, args.b)))
    if (flags.json) return this.outJson(c)
    const show = (v: unknown) => (v === null || v === undefined ? '-' : String(v).length > 40 ? String(v).slice(0, 39) + '…' : String(v))
    const num = (v: number) => String(+v.toPrecision(6))
    this.out(`A ${c.a}\nB ${c.b}\n\n`)
    this.out(c.differences.length ? formatTable(['DIFFERS', 'A', 'B'], c.differences.map(([k, a, b]) => [k, show(a), show(b)])) : 'signature and params: identical\n')
    this.out('\n')
    this.out(c.metrics.length ? formatTable(['METRIC (last)', 'A', 'B', 'B - A'], c.metrics.map((m) => [m.key, num(m.a), num(m.b), num(m.delta)]), ['left', 'right', 'right', 'right']) : 'no metric in common\n')
  }
}
