/**
 * A minimal PNG reader for tests of our PNG writer: checks the signature and every chunk's CRC
 * (with node:zlib's crc32, independent of ours), inflates IDAT and undoes the five scanline
 * filters of RFC 2083 for 8-bit RGB / RGBA.
 */
import { crc32, inflateSync } from 'node:zlib'

export interface DecodedPng { width: number; height: number; channels: number; pixels: Uint8Array; chunks: string[] }

export function decodePng(buf: Buffer): DecodedPng {
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('not a PNG signature')
  let off = 8
  let width = 0, height = 0, channels = 0
  const idat: Buffer[] = []
  const chunks: string[] = []
  while (off < buf.length) {
    const len = buf.readUInt32BE(off)
    const type = buf.toString('latin1', off + 4, off + 8)
    const data = buf.subarray(off + 8, off + 8 + len)
    const crc = buf.readUInt32BE(off + 8 + len)
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== crc) throw new Error(`bad CRC in ${type}`)
    chunks.push(type)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4)
      if (data[8] !== 8) throw new Error('only 8-bit')
      channels = data[9] === 2 ? 3 : data[9] === 6 ? 4 : 0
      if (!channels) throw new Error(`colour type ${data[9]}`)
    } else if (type === 'IDAT') idat.push(data)
    off += 12 + len
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const px = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!
      const a = x >= channels ? px[y * stride + x - channels]! : 0
      const b = y > 0 ? px[(y - 1) * stride + x]! : 0
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels]! : 0
      const p = a + b - c
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1
        : (Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c)
      px[y * stride + x] = (v + pred) & 255
    }
  }
  return { width, height, channels, pixels: px, chunks }
}

/** how many pixels are close to the colour #rrggbb */
export function countColour(png: DecodedPng, hex: string, tolerance = 40): number {
  const v = parseInt(hex.slice(1), 16)
  const [r, g, b] = [v >> 16, (v >> 8) & 255, v & 255]
  let n = 0
  for (let i = 0; i < png.width * png.height; i++) {
    const o = i * png.channels
    if (Math.abs(png.pixels[o]! - r) + Math.abs(png.pixels[o + 1]! - g) + Math.abs(png.pixels[o + 2]! - b) <= tolerance) n++
  }
  return n
}

/** pixels that are not white */
export function inkPixels(png: DecodedPng): number {
  let n = 0
  for (let i = 0; i < png.width * png.height; i++) {
    const o = i * png.channels
    if (png.pixels[o]! < 250 || png.pixels[o + 1]! < 250 || png.pixels[o + 2]! < 250) n++
  }
  return n
}
