#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/.
// Always production: oclif treats NODE_ENV=development|test as "look for TypeScript sources" and
// warns on stderr for every command, and ink/React pick their production builds from it. A user's
// NODE_ENV (often 'development' in dev shells) is for their app, not for this CLI.
process.env.NODE_ENV = 'production'
import { flush, handle, run } from '@oclif/core'

// oclif's execute(), except that an unknown command gets the one-line error every command's
// errors have (docs/conventions.md) instead of oclif's " ›   Error: command x not found".
// `llm help [COMMAND…]` as oclif CLIs with plugin-help have it: the same as `llm [COMMAND…] --help`
const argv = process.argv.slice(2)
const args = argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv
try {
  await run(args, import.meta.url)
  await flush()
} catch (error) {
  const unknown = /^command (\S+) not found\.?$/i.exec(error?.message ?? '')
  if (unknown) {
    const name = unknown[1].replace(/:/g, ' ')
    const what = name.startsWith('-') ? `unknown flag '${name}'` : `unknown command '${name}'`
    process.stderr.write(`llm: error: ${what} (hint: see llm --help)\n`)
    process.exitCode = 2
  } else {
    await handle(error)
  }
}
