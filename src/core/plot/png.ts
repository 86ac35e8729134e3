/**
 * The chart as a PNG, with no native dependency: a small RGB rasterizer (anti-aliased lines by
 * distance to the segment, filled circles, the bundled DejaVu Sans bitmap font) and a PNG
 * encoder (RFC 2083: signature, IHDR, one zlib IDAT of filter-0 scanlines, IEND; CRC-32 per chunk).
 */
import { deflateSync } from 'node:zlib'
import { drawChart, textWidth, type Anchor, type ChartSpec, type Painter, type Point } from './chart.js'
import { FONT_ASCENT, FONT_HEIGHT, GLYPHS } from './font-data.js'

type RGB = [number, number, number]

function parseColor(c: string): RGB {
  const m = /^#([0-9a-f]{6})$/i.exec(c)
  if (!m) throw new Error(`unsupported colour ${c}`)
  const v = parseInt(m[1]!, 16)
  return [v >> 16, (v >> 8) & 255, v & 255]
}

export class Raster {
  readonly data: Uint8Array
  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 3).fill(255)
  }

  /** blend `color` over pixel (x, y) with coverage a in [0, 1] */
  blend(x: number, y: number, color: RGB, a: number): void {
    if (a <= 0 || x < 0 || y < 0 || x >= this.width || y >= this.height) return
    const i = (y * this.width + x) * 3
    const k = Math.min(1, a)
    for (let c = 0; c < 3; c++) this.data[i + c] = Math.round(this.data[i + c]! * (1 - k) + color[c]! * k)
  }

  fillRect(x: number, y: number, w: number, h: number, color: RGB): void {
    for (let yy = Math.max(0, Math.floor(y)); yy < Math.min(this.height, Math.ceil(y + h)); yy++) {
      for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(this.width, Math.ceil(x + w)); xx++) this.blend(xx, yy, color, 1)
    }
  }

  /** an anti-aliased segment of the given width (coverage from the distance to the segment) */
  segment(a: Point, b: Point, width: number, cover: Float32Array, box: number[]): void {
    const r = width / 2
    const minX = Math.max(0, Math.floor(Math.min(a.x, b.x) - r - 1)); const maxX = Math.min(this.width - 1, Math.ceil(Math.max(a.x, b.x) + r + 1))
    const minY = Math.max(0, Math.floor(Math.min(a.y, b.y) - r - 1)); const maxY = Math.min(this.height - 1, Math.ceil(Math.max(a.y, b.y) + r + 1))
    const dx = b.x - a.x; const dy = b.y - a.y
    const len2 = dx * dx + dy * dy
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const px = x + 0.5 - a.x; const py = y + 0.5 - a.y
        const t = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0
        const ex = px - t * dx; const ey = py - t * dy
        const cov = Math.max(0, Math.min(1, r + 0.5 - Math.sqrt(ex * ex + ey * ey)))
        // keep the strongest coverage per pixel for the whole polyline: joints are not drawn twice
        const i = y * this.width + x
        if (cov > cover[i]!) cover[i] = cov
      }
    }
    box[0] = Math.min(box[0]!, minX); box[1] = Math.min(box[1]!, minY); box[2] = Math.max(box[2]!, maxX); box[3] = Math.max(box[3]!, maxY)
  }

  polyline(points: readonly Point[], color: RGB, width: number, dash?: readonly number[]): void {
    const cover = new Float32Array(this.width * this.height)
    const pieces = dash ? dashPieces(points, dash) : points.slice(1).map((q, i) => [points[i]!, q] as [Point, Point])
    const box = [Infinity, Infinity, -Infinity, -Infinity]
    for (const [a, b] of pieces) this.segment(a, b, width, cover, box)
    for (let y = box[1]!; y <= box[3]!; y++) {
      for (let x = box[0]!; x <= box[2]!; x++) { const c = cover[y * this.width + x]!; if (c > 0) this.blend(x, y, color, c) }
    }
  }

  circle(cx: number, cy: number, r: number, color: RGB): void {
    for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
      for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy)
        this.blend(x, y, color, r + 0.5 - d)
      }
    }
  }

  /** text with its baseline at y; vertical: rotated 90° counter-clockwise, centred per anchor along the axis */
  text(x: number, y: number, s: string, color: RGB, anchor: Anchor, vertical = false): void {
    const w = textWidth(s)
    const shift = anchor === 'middle' ? w / 2 : anchor === 'end' ? w : 0
    let pen = 0
    for (const ch of s) {
      const g = GLYPHS[ch.charCodeAt(0)] ?? GLYPHS[63]!
      const [advance, gw, offset, b64] = g
      const bits = Buffer.from(b64, 'base64')
      for (let gy = 0; gy < FONT_HEIGHT; gy++) {
        for (let gx = 0; gx < gw; gx++) {
          const a = bits[gy * gw + gx]! / 255
          if (a === 0) continue
          // glyph pixel relative to the text origin (baseline, left edge)
          const u = pen - offset + gx - shift
          const v = gy - FONT_ASCENT
          if (vertical) this.blend(Math.round(x + v), Math.round(y - u), color, a)
          else this.blend(Math.round(x + u), Math.round(y + v), color, a)
        }
      }
      pen += advance
    }
  }
}

/** Split a polyline into the "on" pieces of a dash pattern, continuing the pattern across vertices. */
function dashPieces(points: readonly Point[], dash: readonly number[]): [Point, Point][] {
  const out: [Point, Point][] = []
  let k = 0
  let left = dash[0]!
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!; const b = points[i]!
    const len = Math.hypot(b.x - a.x, b.y - a.y)
    let t = 0
    while (t < len) {
      const step = Math.min(left, len - t)
      if (k % 2 === 0) {
        const p = (s: number): Point => ({ x: a.x + ((b.x - a.x) * s) / len, y: a.y + ((b.y - a.y) * s) / len })
        out.push([p(t), p(t + step)])
      }
      t += step
      left -= step
      if (left <= 1e-9) { k = (k + 1) % dash.length; left = dash[k]! }
    }
  }
  return out
}

// ---- PNG encoding ----------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 255]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const body = Buffer.concat([head.subarray(4), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body), 0)
  return Buffer.concat([head.subarray(0, 4), body, crc])
}

/** 8-bit RGB raster → PNG file bytes. */
export function encodePng(r: Raster): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(r.width, 0)
  ihdr.writeUInt32BE(r.height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // colour type: truecolour
  ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0 // deflate, adaptive filtering, no interlace
  const stride = r.width * 3
  const raw = Buffer.alloc((stride + 1) * r.height)
  for (let y = 0; y < r.height; y++) {
    raw[y * (stride + 1)] = 0 // filter: none
    raw.set(r.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ])
}

export function renderPng(spec: ChartSpec): Buffer {
  const W = spec.width ?? 800
  const H = spec.height ?? 500
  const r = new Raster(W, H)
  const painter: Painter = {
    rect(x, y, w, h, fill, stroke) {
      if (fill !== 'none') r.fillRect(x, y, w, h, parseColor(fill))
      if (stroke) {
        const c = parseColor(stroke)
        r.polyline([{ x, y }, { x: x + w, y }, { x: x + w, y: y + h }, { x, y: y + h }, { x, y }], c, 1)
      }
    },
    polyline: (pts, color, width, dash) => r.polyline(pts, parseColor(color), width, dash),
    circle: (x, y, rad, fill) => r.circle(x, y, rad, parseColor(fill)),
    text: (x, y, s, color, anchor, vertical) => r.text(x, y, s, parseColor(color), anchor, vertical),
  }
  drawChart(painter, spec)
  return encodePng(r)
}
