/**
 * Progress on stderr: a redrawn bar when stderr is a terminal, one JSON line per update with
 * `mode: 'jsonl'` (for CI logs), nothing with `mode: 'none'`. Never writes to stdout.
 */
export type ProgressMode = 'auto' | 'bar' | 'jsonl' | 'none'

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void
  /** a log line that does not break the bar */
  log(line: string): void
  finish(fields?: Record<string, string | number>): void
}

export function createProgress(label: string, total: number, mode: ProgressMode = 'auto'): Progress {
  const stream = process.stderr
  const resolved = mode === 'auto' ? (stream.isTTY ? 'bar' : 'none') : mode
  const start = Date.now()
  let lastDraw = 0
  let lastLen = 0

  const render = (done: number, fields: Record<string, string | number> = {}): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 0
    const width = 24
    const filled = Math.round(frac * width)
    const elapsed = (Date.now() - start) / 1000
    const eta = done > 0 && total > done ? (elapsed / done) * (total - done) : 0
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ')
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}  ${extra}  ${fmtTime(elapsed)}<${fmtTime(eta)}`
  }

  return {
    update(done, fields) {
      if (resolved === 'none') return
      if (resolved === 'jsonl') {
        stream.write(JSON.stringify({ event: 'progress', label, done, total, ...fields, elapsed_s: (Date.now() - start) / 1000 }) + '\n')
        return
      }
      const now = Date.now()
      if (now - lastDraw < 80 && done < total) return
      lastDraw = now
      const line = render(done, fields).slice(0, (stream.columns || 120) - 1) // 0 columns: a pty with no size set
      stream.write('\r' + line + ' '.repeat(Math.max(0, lastLen - line.length)))
      lastLen = line.length
    },
    log(line) {
      if (resolved === 'bar' && lastLen > 0) stream.write('\r' + ' '.repeat(lastLen) + '\r')
      if (resolved === 'jsonl') stream.write(JSON.stringify({ event: 'log', label, message: line }) + '\n')
      else stream.write(line + '\n')
      lastLen = 0
    },
    finish(fields) {
      if (resolved === 'bar') {
        this.update(total, fields)
        stream.write('\n')
      } else if (resolved === 'jsonl') {
        stream.write(JSON.stringify({ event: 'done', label, total, ...fields, elapsed_s: (Date.now() - start) / 1000 }) + '\n')
      }
    },
  }
}

function fmtTime(s: number): string {
  if (!isFinite(s)) return '?'
  const m = Math.floor(s / 60)
  const sec = Math.floor(s % 60)
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`
}
