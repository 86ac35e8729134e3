/**
 * `-p KEY VALUE` (two words, as the issue and `llm` help spell it) and `-p KEY=VALUE`. oclif flags
 * take one value, so the command line is rewritten first: `-p KEY VALUE` → `--param KEY=VALUE`.
 */
import { usageError } from '../errors.js'

/** Rewrite `-p KEY VALUE` / `--param KEY VALUE` pairs in argv into `--param KEY=VALUE`. */
export function pairParams(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') { out.push(...argv.slice(i)); break }
    if ((a === '-p' || a === '--param') && i + 1 < argv.length) {
      const key = argv[i + 1]!
      if (key.includes('=')) { out.push('--param', key); i++; continue }
      if (i + 2 >= argv.length) throw usageError(`-p ${key} needs a value`, { where: '-p', hint: 'use -p KEY VALUE or -p KEY=VALUE' })
      out.push('--param', `${key}=${argv[i + 2]!}`)
      i += 2
      continue
    }
    out.push(a)
  }
  return out
}

/** `KEY=VALUE` strings → a record (the last value of a key wins). */
export function parseParams(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of list ?? []) {
    const i = p.indexOf('=')
    if (i <= 0) throw usageError(`expected KEY VALUE or KEY=VALUE, got '${p}'`, { where: '-p' })
    out[p.slice(0, i)] = p.slice(i + 1)
  }
  return out
}
