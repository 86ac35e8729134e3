/**
 * Plots of tracked runs: `llm runs plot A B --metric loss --out curves.png|svg`. Each run gets
 * one colour; the training curve (`loss`) is solid and its validation twin (`val_loss`) dashed
 * with markers, so train and validation of several runs read apart at a glance.
 */
import { extname } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { usageError } from '../errors.js'
import { PALETTE, type ChartSpec, type Series } from './chart.js'
import { renderPng } from './png.js'
import { renderSvg } from './svg.js'

export { renderPng, encodePng, Raster, crc32 } from './png.js'
export { renderSvg } from './svg.js'
export { drawChart, niceTicks, formatTick, textWidth, type ChartSpec, type Series, type Point } from './chart.js'

export interface RunCurves {
  label: string
  /** metric key → points in step order */
  metrics: Map<string, { step: number; value: number }[]>
}

/** The keys drawn for `metric`: itself and its validation twin `val_<metric>` (or the train key for `val_…`). */
export function curveKeys(metric: string): { train: string; val: string } {
  return metric.startsWith('val_') ? { train: metric.slice(4), val: metric } : { train: metric, val: `val_${metric}` }
}

export function runsChart(runs: readonly RunCurves[], metric: string, opts: { width?: number; height?: number; title?: string } = {}): ChartSpec {
  const { train, val } = curveKeys(metric)
  const series: Series[] = []
  runs.forEach((run, i) => {
    const color = PALETTE[i % PALETTE.length]!
    const t = run.metrics.get(train)
    const v = run.metrics.get(val)
    if (t?.length) series.push({ label: `${run.label} ${train}`, color, points: t.map((p) => ({ x: p.step, y: p.value })) })
    if (v?.length) series.push({ label: `${run.label} ${val}`, color, dashed: true, markers: true, points: v.map((p) => ({ x: p.step, y: p.value })) })
  })
  if (series.length === 0) {
    const have = [...new Set(runs.flatMap((r) => [...r.metrics.keys()]))].sort()
    throw usageError(`no run has metric '${metric}'`, { where: '--metric', hint: have.length ? `metrics logged: ${have.join(', ')}` : 'the runs logged no metrics' })
  }
  return { title: opts.title ?? `${metric} by step`, xLabel: 'step', yLabel: metric.replace(/^val_/, ''), series, width: opts.width, height: opts.height }
}

/** Write the chart to `out` (.png or .svg, atomically). */
export function writeChart(spec: ChartSpec, out: string): void {
  const ext = extname(out).toLowerCase()
  if (ext === '.svg') writeFileAtomic(out, renderSvg(spec))
  else if (ext === '.png') writeFileAtomic(out, renderPng(spec))
  else throw usageError(`cannot tell the image format of '${out}'`, { where: '--out', hint: 'end it in .png or .svg' })
}
