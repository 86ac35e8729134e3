/**
 * The one error type library code throws. Commands turn it into a single line on stderr and an
 * exit code; library code never prints or exits.
 *
 * Exit codes (documented in docs/conventions.md):
 *   0 ok · 1 runtime error · 2 usage error (bad flag, bad argument) · 3 a quality gate failed
 *   (`llm eval --fail-under`) · 130 interrupted (Ctrl-C; state was saved first)
 */
export const EXIT = { ok: 0, runtime: 1, usage: 2, gate: 3, interrupted: 130 } as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export interface LlmErrorOptions {
  /** the file or flag at fault, named first in the message */
  where?: string
  /** one short suggestion for what to do about it */
  hint?: string
  exitCode?: ExitCode
  cause?: unknown
}

export class LlmError extends Error {
  readonly where?: string
  readonly hint?: string
  readonly exitCode: ExitCode

  constructor(message: string, opts: LlmErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LlmError'
    this.where = opts.where
    this.hint = opts.hint
    this.exitCode = opts.exitCode ?? EXIT.runtime
  }

  /** "FILE: message (hint: …)" — the whole error on one line. */
  oneLine(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message
    return this.hint ? `${head} (hint: ${this.hint})` : head
  }
}

/** A usage error: bad flag value, missing argument, unknown name. Exit code 2. */
export function usageError(message: string, opts: Omit<LlmErrorOptions, 'exitCode'> = {}): LlmError {
  return new LlmError(message, { ...opts, exitCode: EXIT.usage })
}

/** Wrap an unknown thrown value from a file operation into an LlmError naming the file. */
export function fileError(file: string, err: unknown, what = 'cannot read file'): LlmError {
  if (err instanceof LlmError) return err
  const code = (err as NodeJS.ErrnoException)?.code
  const reason =
    code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory'
    : code === 'ENOTDIR' ? 'not a directory (a folder on its path is a file)'
    : err instanceof Error ? err.message : String(err)
  return new LlmError(`${what}: ${reason}`, { where: file, cause: err })
}
