/**
 * Plain-text tables and human sizes for list-style commands (pure functions, no terminal I/O).
 *   formatTable(['NAME', 'SIZE'], [['a/b', '1.2 MB']], ['left', 'right'])
 *   → "NAME      SIZE\na/b     1.2 MB\n"
 */
export type Align = 'left' | 'right'

export function formatTable(header: string[], rows: string[][], align: Align[] = []): string {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((r) => displayWidth(r[c] ?? ''))))
  const line = (r: string[]) =>
    r
      .map((cell, c) => {
        const pad = ' '.repeat(widths[c]! - displayWidth(cell))
        return align[c] === 'right' ? pad + cell : c === r.length - 1 ? cell : cell + pad
      })
      .join('  ')
  return all.map(line).join('\n') + '\n'
}

/** Terminal columns of a string: combining marks take 0, East Asian wide characters and emoji 2. */
export function displayWidth(s: string): number {
  let w = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (cp < 32 || (cp >= 0x7f && cp < 0xa0)) continue
    if (/\p{Mn}|\p{Me}|\u200d|[\ufe00-\ufe0f]/u.test(ch)) continue
    w += isWide(cp) ? 2 : 1
  }
  return w
}

// Ranges from Unicode's EastAsianWidth W/F classes and the emoji presentation blocks (abridged to the common ones).
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
}

/** Bytes in SI units as the hub shows them: 999 B, 1.2 kB, 3.4 MB, 5.6 GB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n
  let u = -1
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`
}
