import { describe, expect, it } from 'vitest'
import { crc32 as nodeCrc32 } from 'node:zlib'
import { crc32, encodePng, formatTick, niceTicks, Raster, renderPng, renderSvg, runsChart, textWidth } from '../../../src/core/plot/index.js'
import { PALETTE } from '../../../src/core/plot/chart.js'
import type { LlmError } from '../../../src/core/errors.js'
import { countColour, decodePng, inkPixels } from '../../helpers-png.js'

const curve = (f: (s: number) => number, steps: number[]) => steps.map((step) => ({ step, value: f(step) }))
const steps = Array.from({ length: 100 }, (_, i) => i + 1)
const runs = [
  { label: 'a', metrics: new Map([['loss', curve((s) => 4 - s / 50, steps)], ['val_loss', curve((s) => 4.1 - s / 50, [25, 50, 75, 100])]]) },
  { label: 'b', metrics: new Map([['loss', curve((s) => 3.5 - s / 80, steps)]]) },
]

describe('plot', () => {
  it('ticks are round and cover the range', () => {
    expect(niceTicks(1.5, 4.2)).toEqual([1, 2, 3, 4, 5])
    expect(niceTicks(2.31, 2.62)).toEqual([2.3, 2.4, 2.5, 2.6, 2.7])
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100])
    expect(niceTicks(3, 3).length).toBeGreaterThan(1)
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3')
    expect(formatTick(2.5, 2.5)).toBe('2.5')
    expect(formatTick(20000, 5000)).toBe('20k')
  })

  it('CRC-32 matches node:zlib', () => {
    const data = Buffer.from('IHDR and some bytes \u00e9', 'utf8')
    expect(crc32(data)).toBe(nodeCrc32(data))
  })

  it('a PNG round-trips through an independent decoder', () => {
    const r = new Raster(5, 3)
    r.fillRect(1, 1, 2, 1, [255, 0, 0])
    const png = decodePng(encodePng(r))
    expect([png.width, png.height, png.channels]).toEqual([5, 3, 3])
    expect(png.chunks).toEqual(['IHDR', 'IDAT', 'IEND'])
    expect(Array.from(png.pixels.subarray((1 * 5 + 1) * 3, (1 * 5 + 1) * 3 + 6))).toEqual([255, 0, 0, 255, 0, 0])
    expect(Array.from(png.pixels.subarray(0, 3))).toEqual([255, 255, 255])
  })

  it('draws each run in its colour, train and validation, with text', () => {
    const spec = runsChart(runs, 'loss')
    expect(spec.series.map((s) => s.label)).toEqual(['a loss', 'a val_loss', 'b loss'])
    const png = decodePng(renderPng(spec))
    expect([png.width, png.height]).toEqual([800, 500])
    expect(inkPixels(png)).toBeGreaterThan(5000)
    expect(countColour(png, PALETTE[0]!)).toBeGreaterThan(500)
    expect(countColour(png, PALETTE[1]!)).toBeGreaterThan(300)
    expect(countColour(png, '#333333', 60)).toBeGreaterThan(300) // axis text and frame
    expect(textWidth('loss')).toBeGreaterThan(20)
  })

  it('SVG has one polyline per series plus legend swatches, escaped text', () => {
    const svg = renderSvg({ ...runsChart(runs, 'loss'), title: 'a < b & c' })
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('a &lt; b &amp; c')
    expect(svg.match(new RegExp(`<polyline[^>]*stroke="${PALETTE[0]}"`, 'g'))!.length).toBe(4) // a loss, a val_loss, 2 legend swatches
    expect(svg).toContain('stroke-dasharray')
  })

  it('names the metrics that exist when the asked one is missing', () => {
    const err = (() => { try { runsChart(runs, 'accuracy') } catch (e) { return e as LlmError } })()!
    expect(err.oneLine()).toMatch(/--metric: no run has metric 'accuracy' \(hint: metrics logged: loss, val_loss\)/)
  })
})
