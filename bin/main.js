// The body of both entry points (run.js: compiled dist/, dev.js: src/ through tsx).
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Plugin } from '@oclif/core/config'
import { flush } from '@oclif/core/flush'
import { handle } from '@oclif/core/handle'
import { run } from '@oclif/core/run'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * oclif.manifest.json (written by `npm run build`: tsc, then `oclif manifest`) lists every command
 * and its flags, so oclif imports only the command being run. A manifest older than the compiled
 * commands would hide a new command and show old flags: then it is ignored and oclif imports every
 * command file to list them (slower, never wrong). A plain `tsc` without `oclif manifest` is such
 * a case; so is a command file deleted since (its folder's mtime changes).
 */
function manifestIsCurrent() {
  let written
  try {
    written = statSync(join(root, 'oclif.manifest.json')).mtimeMs
  } catch {
    return true // none: oclif scans the command files itself
  }
  const newer = (dir) => statSync(dir).mtimeMs > written ||
    readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > written))
  try {
    return !newer(join(root, 'dist/src/commands'))
  } catch {
    return false // not built: let oclif find what it can and report it
  }
}

/**
 * oclif's execute(), except that
 * - `development` (bin/dev.js) runs src/ through tsx and never reads the manifest (it describes
 *   dist/, which may be older than src/);
 * - an unknown command gets the one-line error every command's errors have (docs/conventions.md)
 *   instead of oclif's " ›   Error: command x not found";
 * - `llm help [COMMAND…]` is `llm [COMMAND…] --help`, as oclif CLIs with plugin-help have it.
 */
export async function main({ development = false } = {}) {
  let loadOptions = root
  if (development || !manifestIsCurrent()) {
    // development: the commands are src/commands/*.ts, which tsx (bin/dev.js's --import) compiles
    // as they are imported. (oclif's own development mode maps dist/ to src/ through tsconfig.json
    // and warns for every command file it maps twice.)
    const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    if (development) pjson.oclif.commands = './src/commands'
    const plugin = new Plugin({ root, isRoot: true, ignoreManifest: true, pjson })
    await plugin.load()
    loadOptions = { root, plugins: new Map([[plugin.name, plugin]]) }
  }
  const argv = process.argv.slice(2)
  const args = argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv
  try {
    await run(args, loadOptions)
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
}
