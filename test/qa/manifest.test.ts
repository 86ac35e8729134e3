/**
 * The oclif manifest (oclif.manifest.json) lets oclif import only the command being run. A stale
 * one would hide a new command: `npm run build` writes it after tsc every time, and bin/main.js
 * ignores one that is older than the compiled commands.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers.js'

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
}

describe('oclif manifest', () => {
  it('npm run build wrote one that lists exactly the compiled commands and is not older than them', () => {
    const manifestFile = join(repoRoot, 'oclif.manifest.json')
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { commands: Record<string, unknown> }
    const commandsDir = join(repoRoot, 'dist/src/commands')
    const compiled = files(commandsDir).filter((f) => f.endsWith('.js'))
    // oclif's ids: the path below commands/, ':'-separated; a folder's index.js is the folder's command
    const ids = compiled.map((f) => relative(commandsDir, f).replace(/\.js$/, '').replace(/(^|[/\\])index$/, '').split(sep).join(':')).sort()
    expect(Object.keys(manifest.commands).sort()).toEqual(ids)
    const written = statSync(manifestFile).mtimeMs
    expect(compiled.filter((f) => statSync(f).mtimeMs > written)).toEqual([])
  })

  it('a command compiled after the manifest was written is not hidden by it', () => {
    // a two-command CLI with llm's entry points
    const root = mkdtempSync(join(tmpdir(), 'llm-qa-manifest-'))
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'mini', version: '1.0.0', type: 'module', files: ['bin', 'dist'], oclif: { bin: 'mini', commands: './dist/src/commands' } }))
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'))
    mkdirSync(join(root, 'bin'))
    for (const f of ['main.js', 'run.js']) copyFileSync(join(repoRoot, 'bin', f), join(root, 'bin', f))
    const commands = join(root, 'dist/src/commands')
    mkdirSync(commands, { recursive: true })
    const command = (name: string) =>
      `import { Command } from '@oclif/core'\nexport default class C extends Command {\n  static summary = 'says ${name}'\n  async run() { process.stdout.write('${name}\\n') }\n}\n`
    writeFileSync(join(commands, 'hello.js'), command('hello'))
    const oclif = spawnSync(process.execPath, [join(repoRoot, 'node_modules/oclif/bin/run.js'), 'manifest'], { cwd: root, encoding: 'utf8', env: { ...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: '1' } })
    expect(oclif.status, oclif.stderr).toBe(0)
    const manifestFile = join(root, 'oclif.manifest.json')
    expect(Object.keys(JSON.parse(readFileSync(manifestFile, 'utf8')).commands)).toEqual(['hello'])

    // `bye` appears after the manifest (as after a plain `tsc`): a second later, whatever the clock's resolution
    writeFileSync(join(commands, 'bye.js'), command('bye'))
    const t = statSync(manifestFile).mtimeMs / 1000
    utimesSync(join(commands, 'bye.js'), t + 1, t + 1)
    utimesSync(commands, t + 1, t + 1)
    const mini = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } })
    expect(mini('bye').stdout).toBe('bye\n')
    expect(mini('hello').stdout).toBe('hello\n')
    expect(mini('--help').stdout).toMatch(/bye\s+says bye/)

    // control: once the manifest is newer again it is what oclif reads, and it has no `bye`
    utimesSync(manifestFile, t + 2, t + 2)
    const hidden = mini('bye')
    expect(hidden.status).toBe(2)
    expect(hidden.stderr).toMatch(/unknown command 'bye'/)
  })
})
