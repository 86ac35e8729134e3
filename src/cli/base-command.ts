import { Command, Flags, Errors } from './oclif.js'
import { LlmError, EXIT } from '../core/errors.js'
import { applyColorEnv } from './color.js'

/**
 * Every `llm` command extends this. It owns the conventions (docs/conventions.md):
 * results on stdout, logs on stderr, `--json` for one machine-readable object, one-line errors
 * with a hint and a distinct exit code, stacks only with `--debug` or LLM_DEBUG=1.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'print one machine-readable JSON object on stdout', default: false }),
    debug: Flags.boolean({ description: 'print stack traces on error (or set LLM_DEBUG=1)', default: false, hidden: true }),
  }

  override async init(): Promise<void> {
    applyColorEnv()
    onClosedOutput()
    await super.init()
  }

  /** Write a result to stdout exactly as given (no newline added). */
  protected out(text: string): void {
    process.stdout.write(text)
  }

  /** Print one JSON object followed by a newline on stdout. */
  protected outJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value) + '\n')
  }

  /** Log a line to stderr (never stdout: stdout carries results only). */
  protected note(line: string): void {
    process.stderr.write(line + '\n')
  }

  protected get debugMode(): boolean {
    return process.env.LLM_DEBUG === '1' || process.argv.includes('--debug')
  }

  override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<never> {
    // oclif's own exit (this.exit) passes through untouched.
    if (err instanceof Errors.ExitError) throw err
    const { line, code } = describeError(err)
    process.stderr.write(`llm ${(this.id ?? '').replace(/:/g, ' ')}: error: ${line}\n`.replace('llm : ', 'llm: '))
    if (this.debugMode && err.stack) process.stderr.write(err.stack + '\n')
    this.exit(code)
  }
}

let closedOutputHandled = false
/**
 * The reader of stdout went away (`llm generate … | head -c 10`): stop at once, quietly, with
 * exit 0. oclif only swallows the EPIPE error, so a command would go on generating (or chat on
 * reading `yes | llm chat`) for nobody. A closed stderr is ignored: results may still be wanted.
 */
function onClosedOutput(): void {
  if (closedOutputHandled) return
  closedOutputHandled = true
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(EXIT.ok) })
  process.stderr.on('error', () => undefined)
}

/** Map any thrown value to one line and an exit code. Exported for tests and workers. */
export function describeError(err: unknown): { line: string; code: number } {
  if (err instanceof LlmError) {
    // oclif rewrites errors thrown by a flag's parse() into "Parsing --x \n\t<msg>\nSee more help…":
    // strip its decoration so the error stays one line.
    err.message = err.message.split('\n').map((l) => l.trim())
      .filter((l) => l !== '' && !/^Parsing --\S+$/.test(l) && !/^See more help/.test(l)).join(' ')
    return { line: err.oneLine(), code: err.exitCode }
  }
  const e = err as Error & { oclif?: { exit?: number }; code?: string }
  // oclif parse errors (unknown flag, missing argument, bad option) are usage errors.
  if (e && (e.oclif || e instanceof Errors.CLIError)) {
    return { line: `${oclifMessage(e.message ?? String(e))} (hint: see --help)`, code: EXIT.usage }
  }
  const message = e instanceof Error ? e.message.split('\n')[0] : String(err)
  return { line: `${message} (hint: rerun with --debug for a stack trace)`, code: EXIT.runtime }
}

/**
 * oclif's parse errors are several lines, and the first is often only a header
 * ("Parsing --top-k", "The following errors occurred:", "Missing 1 required arg:") with the
 * actual reason below it. Fold them into one line that keeps the reason.
 */
function oclifMessage(message: string): string {
  const lines = message.split('\n').map((l) => l.replace(/^\s*›?\s*(Error:\s*)?/, '').trim())
    .filter((l) => l !== '' && !/^See more help/.test(l))
  if (lines.length === 0) return 'usage error'
  const parsing = /^Parsing (--\S+)$/.exec(lines[0]!)
  if (parsing && lines.length > 1) return `${parsing[1]}: ${lines.slice(1).join('; ')}`
  if (/^The following errors occurred:$/.test(lines[0]!) && lines.length > 1) return lines.slice(1).join('; ')
  // "Missing 1 required arg:" then "NAME  description" per argument
  if (lines[0]!.endsWith(':') && lines.length > 1) {
    const items = lines.slice(1).map((l) => { const [name, ...desc] = l.split(/\s{2,}/); return desc.length ? `${name} (${desc.join(' ')})` : l })
    return `${lines[0]} ${items.join(', ')}`
  }
  return lines.join('; ')
}
