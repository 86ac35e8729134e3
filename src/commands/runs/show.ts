import { Args } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { findRun, readRuns, runArtifacts, runMetrics } from '../../core/runs/index.js'

export default class RunsShow extends BaseCommand {
  static override summary = 'Show a run: signature, params, status, summary, metrics (first/last/best) and artifacts.'
  static override examples = ['<%= config.bin %> runs show 3f2a', '<%= config.bin %> runs show my-run --json']
  static override args = { run: Args.string({ description: 'run id, id prefix, or name', required: true, ignoreStdin: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RunsShow)
    const { run, metrics, artifacts } = readRuns(args.run, (db) => {
      const run = findRun(db, args.run)
      return { run, metrics: runMetrics(db, run.id), artifacts: runArtifacts(db, run.id) }
    })
    if (flags.json) {
      return this.outJson({ ...run, metrics: Object.fromEntries([...metrics].map(([k, pts]) => [k, pts.map((p) => [p.step, p.value])])), artifacts })
    }
    const fmt = (v: number) => String(+v.toPrecision(6))
    const lines = [
      `id:        ${run.id}`, `name:      ${run.name}`, `kind:      ${run.kind}`, `status:    ${run.status}`,
      `started:   ${run.started_at}`, `ended:     ${run.ended_at ?? '-'}`, ...(run.out ? [`out:       ${run.out}`] : []),
      ...(run.mlflow_dir ? [`mlflow:    ${run.mlflow_dir}`] : []), ...(run.command ? [`command:   ${run.command}`] : []),
      '', 'signature:', ...Object.entries(run.signature).map(([k, v]) => `  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
      '', 'params:', ...Object.entries(run.params).map(([k, v]) => `  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
      ...(run.summary ? ['', 'summary:', ...Object.entries(run.summary).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)] : []),
      '', 'metrics:', ...[...metrics].map(([k, pts]) => {
        const best = pts.reduce((a, b) => (b.value < a.value ? b : a))
        return `  ${k}: ${pts.length} points, step ${pts[0]!.step} ${fmt(pts[0]!.value)} → step ${pts.at(-1)!.step} ${fmt(pts.at(-1)!.value)} (min ${fmt(best.value)} at step ${best.step})`
      }),
      ...(artifacts.length ? ['', 'artifacts:', ...artifacts.map((a) => `  ${a.path}`)] : []),
    ]
    this.out(lines.join('\n') + '\n')
  }
}
