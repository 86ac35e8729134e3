/** The chart as SVG text: the same layout as the PNG (chart.ts), text in DejaVu Sans 13px. */
import { drawChart, type Anchor, type ChartSpec, type Painter, type Point } from './chart.js'

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const n = (v: number): string => String(Math.round(v * 100) / 100)

export function renderSvg(spec: ChartSpec): string {
  const parts: string[] = []
  const painter: Painter = {
    rect(x, y, w, h, fill, stroke) {
      parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"${stroke ? ` stroke="${stroke}"` : ''}/>`)
    },
    polyline(points: Point[], color, width, dash) {
      parts.push(`<polyline points="${points.map((q) => `${n(q.x)},${n(q.y)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash.join(' ')}"` : ''}/>`)
    },
    circle(x, y, r, fill) {
      parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${r}" fill="${fill}"/>`)
    },
    text(x, y, s, color, anchor: Anchor, vertical) {
      const t = vertical ? ` transform="rotate(-90 ${n(x)} ${n(y)})"` : ''
      parts.push(`<text x="${n(x)}" y="${n(y)}" fill="${color}" text-anchor="${anchor}"${t}>${esc(s)}</text>`)
    },
  }
  const { width, height } = drawChart(painter, spec)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="13">\n${parts.join('\n')}\n</svg>\n`
}
