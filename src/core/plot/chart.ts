/**
 * A line chart drawn through a Painter, so the SVG and PNG outputs share one layout: axes with
 * "nice" ticks (1, 2, 5 × 10^k), grid lines, a title, axis labels and a legend; each series a
 * polyline, solid or dashed (validation curves), with optional point markers.
 */
import { FONT_HEIGHT, GLYPHS } from './font-data.js'

export interface Point { x: number; y: number }

export interface Series {
  label: string
  points: Point[]
  color: string
  dashed?: boolean
  markers?: boolean
}

export interface ChartSpec {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  width?: number
  height?: number
}

export type Anchor = 'start' | 'middle' | 'end'

/** What a backend draws with; coordinates are pixels from the top left. */
export interface Painter {
  rect(x: number, y: number, w: number, h: number, fill: string, stroke?: string): void
  polyline(points: Point[], color: string, width: number, dash?: readonly number[]): void
  circle(x: number, y: number, r: number, fill: string): void
  /** `y` is the text's baseline; `vertical` turns it 90° counter-clockwise (a y-axis label) */
  text(x: number, y: number, s: string, color: string, anchor: Anchor, vertical?: boolean): void
}

/** Tableau 10: distinguishable, colour-blind aware (Matplotlib's default cycle). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']

export const TEXT_HEIGHT = FONT_HEIGHT

/** Width of `s` in pixels in the bundled font (SVG text uses the same family and size). */
export function textWidth(s: string): number {
  let w = 0
  for (const ch of s) w += (GLYPHS[ch.charCodeAt(0)] ?? GLYPHS[63]!)[0]
  return w
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) { const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1; lo -= d; hi += d }
  const raw = (hi - lo) / Math.max(1, count - 1)
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const start = Math.floor(lo / step + 1e-9) * step
  const ticks: number[] = []
  for (let v = start; v <= hi + step * 1e-6; v += step) ticks.push(+v.toPrecision(12))
  if (ticks[ticks.length - 1]! < hi - step * 1e-6) ticks.push(+(ticks[ticks.length - 1]! + step).toPrecision(12))
  return ticks
}

/** A tick label: few digits, no float noise (0.30000000000000004 → 0.3), k/M for big steps. */
export function formatTick(v: number, step: number): string {
  if (Math.abs(v) >= 10000 && step >= 1000) return `${+(v / 1000).toPrecision(6)}k`
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9))
  return v.toFixed(Math.min(decimals + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0), 8))
}

/** [min, max] without spreading (a million-point series overflows Math.min(...xs)); [0, 1] when empty. */
function extent(v: readonly number[]): [number, number] {
  if (v.length === 0) return [0, 1]
  let lo = Infinity
  let hi = -Infinity
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x }
  return [lo, hi]
}

export function drawChart(p: Painter, spec: ChartSpec): { width: number; height: number } {
  const W = spec.width ?? 800
  const H = spec.height ?? 500
  const all = spec.series.flatMap((s) => s.points)
  const [xMin, xMax] = extent(all.map((q) => q.x))
  const [yMin, yMax] = extent(all.map((q) => q.y))
  const xTicks = niceTicks(xMin, xMax)
  const yTicks = niceTicks(yMin, yMax)
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1
  const yLabels = yTicks.map((v) => formatTick(v, yStep))
  const left = 28 + Math.max(...yLabels.map(textWidth)) + 10
  const top = 44
  const right = 24
  const bottom = 58
  const pw = W - left - right
  const ph = H - top - bottom
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!]
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!]
  const X = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * pw
  const Y = (y: number) => top + ph - ((y - y0) / (y1 - y0 || 1)) * ph

  p.rect(0, 0, W, H, '#ffffff')
  // grid and ticks
  for (const [i, v] of yTicks.entries()) {
    const y = Math.round(Y(v)) + 0.5
    p.polyline([{ x: left, y }, { x: left + pw, y }], '#e3e3e3', 1)
    p.text(left - 8, y + 4, yLabels[i]!, '#333333', 'end')
  }
  for (const v of xTicks) {
    const x = Math.round(X(v)) + 0.5
    p.polyline([{ x, y: top }, { x, y: top + ph }], '#e3e3e3', 1)
    p.polyline([{ x, y: top + ph }, { x, y: top + ph + 5 }], '#333333', 1)
    p.text(x, top + ph + 20, formatTick(v, xStep), '#333333', 'middle')
  }
  p.rect(left + 0.5, top + 0.5, pw - 1, ph - 1, 'none', '#333333')
  // titles
  p.text(W / 2, 26, spec.title, '#111111', 'middle')
  p.text(left + pw / 2, H - 14, spec.xLabel, '#111111', 'middle')
  p.text(18, top + ph / 2, spec.yLabel, '#111111', 'middle', true)
  // series
  for (const s of spec.series) {
    const pts = s.points.map((q) => ({ x: X(q.x), y: Y(q.y) }))
    if (pts.length > 1) p.polyline(pts, s.color, 2, s.dashed ? [7, 4] : undefined)
    if (s.markers || pts.length === 1) for (const q of pts) p.circle(q.x, q.y, 3, s.color)
  }
  drawLegend(p, spec.series, left + pw - 10, top + 10)
  return { width: W, height: H }
}

function drawLegend(p: Painter, series: readonly Series[], rightX: number, topY: number): void {
  if (series.length === 0) return
  const row = TEXT_HEIGHT + 4
  const w = 16 + 30 + Math.max(...series.map((s) => textWidth(s.label)))
  const h = 10 + row * series.length
  const x = rightX - w
  p.rect(x + 0.5, topY + 0.5, w, h, '#ffffff', '#bbbbbb')
  series.forEach((s, i) => {
    const cy = topY + 5 + row * i + row / 2
    p.polyline([{ x: x + 8, y: cy }, { x: x + 34, y: cy }], s.color, 2, s.dashed ? [7, 4] : undefined)
    if (s.markers) p.circle(x + 21, cy, 3, s.color)
    p.text(x + 40, cy + 4, s.label, '#222222', 'start')
  })
}
