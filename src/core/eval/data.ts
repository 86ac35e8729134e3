/**
 * Reading evaluation data: JSON Lines (one object per line; a bad line is reported as FILE:LINE),
 * a JSON array, or plain text. Field access reports the missing field with the line it is on.
 */
import { LlmError } from '../errors.js'
import { isJsonObject, parseJson, parseJsonl as jsonLines, readTextFile } from '../json.js'

export type Doc = Record<string, unknown>

/** One item with where it came from (for error messages). */
export interface SourcedDoc {
  doc: Doc
  /** "FILE:LINE" (JSONL) or "FILE[#i]" (JSON array) */
  where: string
}

export const readText = readTextFile

/** Parse JSONL (blank lines skipped, core/json.ts); every line must be a JSON object. */
export function parseJsonl(text: string, file: string): SourcedDoc[] {
  const out: SourcedDoc[] = []
  for (const { value, line } of jsonLines(text, file, { hint: 'each line must be one JSON object' })) {
    const where = `${file}:${line}`
    if (!isJsonObject(value)) throw new LlmError('expected a JSON object on this line', { where })
    out.push({ doc: value, where })
  }
  return out
}

/** A .json file holding an array of objects, or a .jsonl file. */
export function readDocs(file: string): SourcedDoc[] {
  const text = readText(file)
  if (file.endsWith('.json')) {
    const v = parseJson(text, file)
    if (!Array.isArray(v)) throw new LlmError('expected a JSON array of objects', { where: file })
    return v.map((d, i) => {
      if (!isJsonObject(d)) throw new LlmError('expected a JSON object', { where: `${file}[#${i}]` })
      return { doc: d, where: `${file}[#${i}]` }
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
