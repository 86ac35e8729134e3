/**
 * Reading evaluation data: JSON Lines (one object per line; a bad line is reported as FILE:LINE),
 * a JSON array, or plain text. Field access reports the missing field with the line it is on.
 */
import { readFileSync } from 'node:fs'
import { LlmError, fileError } from '../errors.js'

export type Doc = Record<string, unknown>

/** One item with where it came from (for error messages). */
export interface SourcedDoc {
  doc: Doc
  /** "FILE:LINE" (JSONL) or "FILE[#i]" (JSON array) */
  where: string
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw fileError(file, err)
  }
}

/** Parse JSONL (blank lines skipped); every line must be a JSON object. */
export function parseJsonl(text: string, file: string): SourcedDoc[] {
  const out: SourcedDoc[] = []
  const lines = text.split('\n')
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.trim() === '') return
    const where = `${file}:${i + 1}`
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (err) {
      throw new LlmError(`malformed JSON: ${(err as Error).message}`, { where, hint: 'each line must be one JSON object' })
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new LlmError('expected a JSON object on this line', { where })
    out.push({ doc: v as Doc, where })
  })
  return out
}

/** A .json file holding an array of objects, or a .jsonl file. */
export function readDocs(file: string): SourcedDoc[] {
  const text = readText(file)
  if (file.endsWith('.json')) {
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch (err) {
      throw new LlmError(`not valid JSON: ${(err as Error).message}`, { where: file })
    }
    if (!Array.isArray(v)) throw new LlmError('expected a JSON array of objects', { where: file })
    return v.map((d, i) => {
      if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new LlmError('expected a JSON object', { where: `${file}[#${i}]` })
      return { doc: d as Doc, where: `${file}[#${i}]` }
    })
  }
  return parseJsonl(text, file)
}

/** A field's value, or an error naming the field and the line. */
export function field(d: SourcedDoc, name: string): unknown {
  if (!(name in d.doc)) throw new LlmError(`missing field '${name}'`, { where: d.where, hint: `fields present: ${Object.keys(d.doc).join(', ') || 'none'}` })
  return d.doc[name]
}

export function stringField(d: SourcedDoc, name: string): string {
  const v = field(d, name)
  if (typeof v !== 'string') throw new LlmError(`field '${name}' must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`, { where: d.where })
  return v
}

export function stringListField(d: SourcedDoc, name: string): string[] {
  const v = field(d, name)
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
    throw new LlmError(`field '${name}' must be a non-empty list of strings`, { where: d.where })
  }
  return v as string[]
}

/** A gold answer: an index, a numeric string, or the text of one of the choices. */
export function goldIndex(d: SourcedDoc, name: string, choices: readonly string[]): number {
  const v = field(d, name)
  let i: number | undefined
  if (typeof v === 'number' && Number.isInteger(v)) i = v
  else if (typeof v === 'string' && /^\d+$/.test(v.trim())) i = Number(v)
  else if (typeof v === 'string' && choices.includes(v)) i = choices.indexOf(v)
  if (i === undefined || i < 0 || i >= choices.length) {
    throw new LlmError(`field '${name}' must be a choice index 0..${choices.length - 1} or a choice's text, got ${JSON.stringify(v)?.slice(0, 40)}`, { where: d.where })
  }
  return i
}
