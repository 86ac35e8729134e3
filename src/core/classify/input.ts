/**
 * Batch input for classify / eval / cluster: JSON Lines (a `textField` per object), CSV with a
 * header row (RFC 4180 quoting), or plain text (one text per line). Every record keeps its other
 * fields and where it came from (FILE:LINE).
 */
import { extname } from 'node:path'
import { LlmError } from '../errors.js'
import { parseJsonl } from '../eval/data.js'

export interface InputRecord { text: string; fields: Record<string, unknown>; where: string }

/** RFC 4180 CSV: rows of fields; quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string, file: string): { rows: string[][]; lines: number[] } {
  const rows: string[][] = []
  const lines: number[] = []
  let row: string[] = [], field = '', quoted = false, line = 1, rowLine = 1, i = 0
  const endRow = () => { row.push(field); if (row.length > 1 || row[0] !== '') { rows.push(row); lines.push(rowLine) } row = []; field = '' }
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue }
      if (c === '"') { quoted = false; i++; continue }
      if (c === '\n') line++
      field += c; i++; continue
    }
    if (c === '"' && field === '') { quoted = true; i++; continue }
    if (c === ',') { row.push(field); field = ''; i++; continue }
    if (c === '\r' && text[i + 1] === '\n') { i++; continue }
    if (c === '\n') { endRow(); line++; rowLine = line; i++; continue }
    field += c; i++
  }
  if (quoted) throw new LlmError('unterminated quoted field', { where: `${file}:${rowLine}` })
  if (field !== '' || row.length) endRow()
  return { rows, lines }
}

export function readRecords(text: string, file: string, textField = 'text', format?: 'jsonl' | 'csv' | 'txt'): InputRecord[] {
  const ext = extname(file).toLowerCase()
  const fmt = format ?? (ext === '.jsonl' || ext === '.json' ? 'jsonl' : ext === '.csv' ? 'csv' : 'txt')
  if (fmt === 'jsonl') {
    return parseJsonl(text, file).map((d) => {
      const v = d.doc[textField]
      if (typeof v !== 'string') throw new LlmError(`field '${textField}' must be a string`, { where: d.where, hint: `fields present: ${Object.keys(d.doc).join(', ')}` })
      return { text: v, fields: d.doc, where: d.where }
    })
  }
  if (fmt === 'csv') {
    const { rows, lines } = parseCsv(text, file)
    const header = rows[0]
    if (!header) throw new LlmError('the CSV file is empty', { where: file })
    const col = header.indexOf(textField)
    if (col < 0) throw new LlmError(`no '${textField}' column in the header`, { where: `${file}:1`, hint: `columns: ${header.join(', ')}` })
    return rows.slice(1).map((r, k) => ({ text: r[col] ?? '', fields: Object.fromEntries(header.map((h, j) => [h, r[j] ?? ''])), where: `${file}:${lines[k + 1]}` }))
  }
  return text.split('\n').map((l, k) => ({ l: l.replace(/\r$/, ''), k })).filter(({ l }) => l.trim() !== '').map(({ l, k }) => ({ text: l, fields: {}, where: `${file}:${k + 1}` }))
}

/**
 * Few-shot examples: records with a non-empty `label` (multi-label: comma-separated), each label
 * one of `labels`, else an error naming the record's FILE:LINE.
 */
export function readFewShot(text: string, file: string, labels: readonly string[]): { text: string; label: string }[] {
  const known = new Set(labels.map((l) => l.trim()))
  return readRecords(text, file, 'text').map((r) => {
    const label = r.fields.label
    if (typeof label !== 'string' || label.trim() === '') throw new LlmError('a few-shot example needs a non-empty label', { where: r.where, hint: 'each record: {"text": "…", "label": "…"} (or text,label columns)' })
    const unknown = label.split(',').map((s) => s.trim()).find((l) => !known.has(l))
    if (unknown !== undefined) throw new LlmError(`label '${unknown}' is not one of --labels`, { where: r.where, hint: `labels: ${[...known].join(', ')}` })
    return { text: r.text, label }
  })
}
