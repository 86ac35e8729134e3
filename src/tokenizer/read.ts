import { readFileSync } from 'node:fs'
import { fileError } from '../core/errors.js'

/** A tokenizer file's bytes; a read failure is one line naming the file. */
export function readTokenizerFile(path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (e) {
    throw fileError(path, e)
  }
}

/** A tokenizer file's text (UTF-8). */
export function readTokenizerText(path: string): string {
  return readTokenizerFile(path).toString('utf8')
}
