/**
 * What `llm index add PATH…` reads: .txt and .md/.markdown files as text, .jsonl files as one
 * document per line (its `textField`, default "text"); folders recursively (hidden entries and
 * node_modules skipped, files of other types ignored), in sorted order.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, resolve } from 'node:path'
import { LlmError, fileError, usageError } from '../errors.js'
import { parseJsonl, stringField } from '../eval/data.js'

export const SOURCE_TYPES = ['.txt', '.md', '.markdown', '.jsonl']

/** One piece of text of a source file, with the line its first character is on (1-based). */
export interface SourceDoc { text: string; firstLine: number }

export interface SourceFile {
  /** absolute path */
  path: string
  /** sha256 of the bytes (and of the text field, for JSONL) */
  hash: string
  bytes: number
  docs: SourceDoc[]
}

/** Absolute paths of the files under the given paths, deduplicated, sorted within each folder. */
export function expandPaths(paths: readonly string[]): string[] {
  const out = new Set<string>()
  for (const p of paths) {
    const abs = resolve(p)
    let st
    try { st = statSync(abs) } catch (err) { throw fileError(p, err, 'cannot read') }
    if (st.isDirectory()) walk(abs, out)
    else if (SOURCE_TYPES.includes(extname(abs).toLowerCase())) out.add(abs)
    else throw usageError(`unsupported file type '${extname(abs) || '(none)'}'`, { where: p, hint: `index reads ${SOURCE_TYPES.join(', ')} files (and folders of them)` })
  }
  return [...out]
}

function walk(dir: string, out: Set<string>): void {
  let names: string[]
  try { names = readdirSync(dir).sort() } catch (err) { throw fileError(dir, err, 'cannot list folder') }
  for (const name of names) {
    if (name.startsWith('.') || name === 'node_modules') continue
    const p = join(dir, name)
    const st = statSync(p)
    if (st.isDirectory()) walk(p, out)
    else if (st.isFile() && SOURCE_TYPES.includes(extname(name).toLowerCase())) out.add(p)
  }
}

export function readSource(path: string, textField = 'text'): SourceFile {
  let raw: Buffer
  try { raw = readFileSync(path) } catch (err) { throw fileError(path, err) }
  const text = raw.toString('utf8')
  const isJsonl = extname(path).toLowerCase() === '.jsonl'
  const hash = createHash('sha256').update(raw).update(isJsonl ? `\0${textField}` : '').digest('hex')
  let docs: SourceDoc[]
  if (isJsonl) {
    docs = parseJsonl(text, path).map((d) => {
      const t = stringField(d, textField)
      return { text: t, firstLine: Number(d.where.slice(d.where.lastIndexOf(':') + 1)) }
    })
  } else {
    if (text.includes('\u0000')) throw new LlmError('looks like a binary file (it contains NUL bytes)', { where: path })
    docs = [{ text, firstLine: 1 }]
  }
  return { path, hash, bytes: raw.byteLength, docs }
}
