import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag } from '../../cli/flags.js'
import { usageError } from '../../core/errors.js'
import { findRun, readRuns, runMetrics } from '../../core/runs/index.js'
import { curveKeys, runsChart, writeChart } from '../../core/plot/index.js'

export default class RunsPlot extends BaseCommand {
  static override summary = 'Plot a metric of several runs by step, train and validation overlaid, to PNG or SVG.'
  static override description = 'For --metric loss the training curve (loss, solid) and the validation curve (val_loss, dashed with markers) of each run are drawn in the run\'s colour.'
  static override examples = ['<%= config.bin %> runs plot 3f2a 9c1b --metric loss --out curves.png', '<%= config.bin %> runs plot baseline tuned --metric lr --out lr.svg']
  static override strict = false
  static override args = { runs: Args.string({ description: 'runs (id, id prefix or name), one or more', required: true, ignoreStdin: true }) }
  static override flags = {
    metric: Flags.string({ description: 'metric key (its val_ twin is drawn too)', default: 'loss' }),
    out: Flags.string({ char: 'o', description: 'image file: .png or .svg', required: true }),
    width: intFlag({ description: 'image width in pixels', default: 800, min: 200, max: 4000 }),
    height: intFlag({ description: 'image height in pixels', default: 500, min: 150, max: 4000 }),
    title: Flags.string({ description: 'chart title (default: METRIC by step)' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RunsPlot)
    const refs = argv as string[]
    if (refs.length === 0) throw usageError('name at least one run', { where: 'RUN', hint: "see 'llm runs list'" })
    const { train, val } = curveKeys(flags.metric)
    const runs = readRuns(refs[0]!, (db) => refs.map((ref) => {
      const r = findRun(db, ref)
      return { label: r.name, id: r.id, metrics: runMetrics(db, r.id, [train, val]) }
    }))
    // two runs of one name get their id prefix to tell them apart in the legend
    for (const r of runs) if (runs.filter((q) => q.label === r.label).length > 1) r.label = `${r.label} (${r.id.slice(0, 6)})`
    writeChart(runsChart(runs, flags.metric, { width: flags.width, height: flags.height, title: flags.title }), flags.out)
    if (flags.json) this.outJson({ out: flags.out, metric: flags.metric, runs: runs.map((r) => r.id) })
    else this.note(`wrote ${flags.out} (${runs.length} run(s), ${flags.metric})`)
  }
}
