import { text } from 'node:stream/consumers'

/**
 * Read all of stdin verbatim when it is piped or redirected; undefined when stdin is a terminal
 * (so a command never hangs waiting for typing it did not ask for).
 * oclif would read piped stdin into missing positional args, trimmed; commands declare their
 * args with `ignoreStdin: true` and call this instead.
 */
export async function readPipedStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined
  try {
    return await text(process.stdin)
  } catch {
    return undefined
  }
}
