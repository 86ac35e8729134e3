import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { LlmError, fileError, usageError } from '../../core/errors.js'
import { parseJson } from '../../core/json.js'

/**
 * Training documents from files: a `.jsonl` file gives one document per line (its `text`
 * field); any other file is one plain-text document. Files are read in 16 MiB chunks split at
 * line ends, so a large corpus never has to sit in memory as one string.
 */
export interface CorpusFile {
  path: string
  format: 'text' | 'jsonl'
  bytes: number
}

export function describeCorpus(paths: readonly string[]): CorpusFile[] {
  if (paths.length === 0) throw usageError('no training files given', { hint: 'llm tokenizer train FILE... --vocab-size N --out tokenizer.json, or pipe the text on stdin' })
  return paths.map((path) => {
    let size: number
    try {
      const st = statSync(path)
      if (st.isDirectory()) throw new LlmError('is a directory', { where: path, hint: 'pass text or .jsonl files' })
      size = st.size
    } catch (e) {
      throw fileError(path, e)
    }
    return { path, format: /\.jsonl$/i.test(path) ? 'jsonl' : 'text', bytes: size }
  })
}

const CHUNK = 16 * 1024 * 1024

/**
 * Call `onDoc` with each document's text (a large plain-text file arrives in pieces cut at line
 * ends: `continued` is true for every piece after its first); `onBytes` reports bytes read.
 */
export function readCorpus(
  files: readonly CorpusFile[], onDoc: (text: string, continued: boolean) => void, onBytes?: (done: number) => void, chunkBytes = CHUNK,
): void {
  let done = 0
  for (const f of files) {
    let fd: number
    try {
      fd = openSync(f.path, 'r')
    } catch (e) {
      throw fileError(f.path, e)
    }
    try {
      const buf = Buffer.alloc(chunkBytes)
      const decoder = new TextDecoder('utf-8')
      let carry = ''
      let lineNo = 0
      let textPieces = 0
      const handleLines = (text: string, final: boolean): void => {
        if (f.format === 'text') {
          onDoc(text, textPieces++ > 0)
          return
        }
        const lines = (carry + text).split('\n')
        carry = final ? '' : lines.pop()!
        for (const line of lines) {
          lineNo++
          if (line.trim() === '') continue
          const obj = parseJson(line, f.path, { firstLine: lineNo, hint: 'a .jsonl training file needs one {"text": ...} object per line' })
          const t = (obj as { text?: unknown } | null)?.text
          if (typeof t !== 'string') throw new LlmError(`line ${lineNo} has no string "text" field`, { where: f.path, hint: 'a .jsonl training file needs one {"text": ...} object per line' })
          onDoc(t, false)
        }
      }
      let textCarry = ''
      for (;;) {
        const n = readSync(fd, buf, 0, chunkBytes, null)
        if (n === 0) break
        done += n
        let text = textCarry + decoder.decode(buf.subarray(0, n), { stream: true })
        textCarry = ''
        if (f.format === 'text') {
          // cut plain text after a newline that a non-space character follows: the gpt2/gpt4
          // patterns never match across that point, so the pieces are those of the whole file
          const cut = lastSafeCut(text)
          textCarry = text.slice(cut)
          text = text.slice(0, cut)
          if (text) handleLines(text, false)
        } else handleLines(text, false)
        onBytes?.(done)
      }
      const tail = textCarry + decoder.decode()
      if (f.format === 'text') { if (tail || textPieces === 0) handleLines(tail, true) } else handleLines(tail, true)
    } finally {
      closeSync(fd)
    }
  }
}

/** index just after the last "\n" followed by a non-whitespace character, 0 if none */
function lastSafeCut(text: string): number {
  for (let i = text.lastIndexOf('\n'); i >= 0; i = i > 0 ? text.lastIndexOf('\n', i - 1) : -1) {
    const next = text[i + 1]
    if (next !== undefined && !/\s/.test(next)) return i + 1
  }
  return 0
}
