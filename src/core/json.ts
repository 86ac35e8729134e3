/**
 * The project's one reader of JSON and JSON Lines files, with one error text:
 *
 *   FILE:LINE: not valid JSON: Expected ',' or '}' after property value at column 9
 *   FILE: expected a JSON object, got an array
 *   FILE: cannot read file: no such file or directory
 *
 * (an LlmError whose `where` is FILE:LINE, so every command prints it as its one-line error).
 *
 *   readJsonObject('config.json')               → { … }
 *   readJsonArray('items.json')                 → [ … ]
 *   for (const { value, line } of readJsonl('data.jsonl')) …   (blank lines skipped)
 */
import { readFileSync } from 'node:fs'
import { LlmError, fileError } from './errors.js'

export type JsonObject = Record<string, unknown>

export interface JsonOptions {
  /** what to do about a bad file, added to the error (e.g. 'pull the model again') */
  hint?: string
}

/** The text of a file, or an LlmError naming it. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw fileError(file, err)
  }
}

/** Parse JSON text that came from `file` (for the error: FILE:LINE). `firstLine` numbers its first line. */
export function parseJson(text: string, file: string, opts: JsonOptions & { firstLine?: number } = {}): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const at = syntaxErrorOffset(text)
    const before = text.slice(0, at)
    const line = (opts.firstLine ?? 1) + (before.match(/\n/g)?.length ?? 0)
    const column = at - (before.lastIndexOf('\n') + 1) + 1
    const reason = (err as Error).message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    throw new LlmError(`not valid JSON: ${reason} at column ${column}`, { where: `${file}:${line}`, hint: opts.hint, cause: err })
  }
}

/** Any JSON value from a file. */
export function readJson(file: string, opts: JsonOptions = {}): unknown {
  return parseJson(readTextFile(file), file, opts)
}

/** A file that must hold one JSON object. */
export function readJsonObject(file: string, opts: JsonOptions = {}): JsonObject {
  const v = readJson(file, opts)
  if (!isJsonObject(v)) throw new LlmError(`expected a JSON object, got ${kindOf(v)}`, { where: file, hint: opts.hint })
  return v
}

/** A file that must hold one JSON array. */
export function readJsonArray(file: string, opts: JsonOptions = {}): unknown[] {
  const v = readJson(file, opts)
  if (!Array.isArray(v)) throw new LlmError(`expected a JSON array, got ${kindOf(v)}`, { where: file, hint: opts.hint })
  return v
}

/** JSON Lines text from `file`: one value per non-blank line, with its 1-based line number (CRLF accepted). */
export function* parseJsonl(text: string, file: string, opts: JsonOptions = {}): Generator<{ value: unknown; line: number }> {
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.trim() === '') continue
    yield { value: parseJson(line, file, { ...opts, firstLine: i + 1 }), line: i + 1 }
  }
}

/** A JSON Lines file, line by line (see parseJsonl). */
export function readJsonl(file: string, opts: JsonOptions = {}): Generator<{ value: unknown; line: number }> {
  return parseJsonl(readTextFile(file), file, opts)
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** 'an array', 'a string', 'null', … for error messages */
export function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

/**
 * Where JSON.parse gave up on `text` (V8 names the position for some errors only): a scan of the
 * JSON grammar (RFC 8259) that stops at the first character that cannot continue a valid text.
 */
export function syntaxErrorOffset(text: string): number {
  let i = 0
  const fail = (): never => { throw i }
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++ }
  const lit = (word: string) => { for (const c of word) { if (text[i] !== c) fail(); i++ } }
  const string = () => {
    i++ // opening quote
    for (;;) {
      const c = text[i]
      if (c === undefined || c < ' ') fail()
      if (c === '"') { i++; return }
      if (c === '\\') {
        i++
        if (text[i] === 'u') { i++; for (let k = 0; k < 4; k++) { if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail(); i++ } }
        else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++
        else fail()
      } else i++
    }
  }
  const digits = () => { const s = i; while (/[0-9]/.test(text[i] ?? '')) i++; if (i === s) fail() }
  const number = () => {
    if (text[i] === '-') i++
    if (text[i] === '0') i++
    else digits()
    if (text[i] === '.') { i++; digits() }
    if (text[i] === 'e' || text[i] === 'E') { i++; if (text[i] === '+' || text[i] === '-') i++; digits() }
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++; ws()
      if (text[i] === '}') { i++; return }
      for (;;) {
        ws(); if (text[i] !== '"') fail(); string(); ws()
        if (text[i] !== ':') fail()
        i++; value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return }
        fail()
      }
    }
    if (c === '[') {
      i++; ws()
      if (text[i] === ']') { i++; return }
      for (;;) {
        value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return }
        fail()
      }
    }
    if (c === '"') return string()
    if (c === 't') return lit('true')
    if (c === 'f') return lit('false')
    if (c === 'n') return lit('null')
    if (c === '-' || /[0-9]/.test(c ?? '')) return number()
    fail()
  }
  try {
    value(); ws()
    return i < text.length ? i : text.length
  } catch (at) {
    return Math.min(at as number, text.length)
  }
}

/** `o` without its undefined fields (JSON.stringify drops them; a spread would let them erase defaults). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
