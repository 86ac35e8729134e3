/**
 * Start-up cost is what a command imports. With the oclif manifest (`npm run build` writes it),
 * oclif imports only the file of the command being run, so each command's imports are its own
 * cost: these tests record every module a real `llm` process resolves and check that
 * - `--version` and `--help` import no command at all (the manifest answers them);
 * - a command imports no other command's file;
 * - ink/React load only for the full-screen chat, onnxruntime only where a model runs, and none
 *   of the heavy packages for tokenize or the store commands.
 * Timings are not asserted here: `npm run bench:startup` measures them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { repoRoot, runCli } from '../helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-qa-imports-'))
const hooks = join(dir, 'hooks.mjs')
writeFileSync(hooks, `export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx)
  if (r.url.startsWith('file:')) process.stderr.write('LOADED ' + r.url + '\\n')
  return r
}\n`)
const register = join(dir, 'register.mjs')
writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)

const HEAVY = ['onnxruntime-node', 'onnxruntime-common', 'protobufjs', 'ink', 'react', '@huggingface/jinja', 'tiktoken', 'sqlite-vec', 'better-sqlite3']
const UI = ['ink', 'react']
const ORT = ['onnxruntime-node', 'onnxruntime-common']

interface Loaded { code: number; stderr: string; packages: string[]; ours: string[]; commands: string[] }

/** Run `llm ARGS` and list the npm packages and our dist/src modules it imported. */
function loads(args: string[], input?: string): Loaded {
  const r = runCli(args, { input, env: { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` } })
  const urls = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length))
  const packages = [...new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((p) => p !== undefined))]
  const ours = [...new Set(urls.map((u) => /\/dist\/src\/(.*)$/.exec(u)?.[1]).filter((p) => p !== undefined))]
  const stderr = r.stderr.split('\n').filter((l) => !l.startsWith('LOADED ')).join('\n')
  expect(packages, 'the resolve hook saw the imports').toContain('@oclif/core')
  return { code: r.code, stderr, packages, ours, commands: ours.filter((p) => p.startsWith('commands/')) }
}

describe('start-up: what each command imports', () => {
  it('--version and --help import no command file (the manifest answers them)', () => {
    for (const args of [['--version'], ['--help'], ['generate', '--help'], ['models', 'pull', '--help']]) {
      const r = loads(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      expect(r.ours, args.join(' ')).toEqual([])
    }
  })

  it('tokenize imports its own command file only, and no heavy package', () => {
    for (const args of [['tokenize', '-t', join(repoRoot, 'models/default'), '--count', 'hi'], ['tokenize', '--encoding', 'cl100k_base', '--count', 'hi']]) {
      const r = loads(args)
      expect(r.code, r.stderr).toBe(0)
      expect(r.commands).toEqual(['commands/tokenize.js'])
      expect(r.packages.filter((p) => HEAVY.includes(p))).toEqual([])
      expect(r.ours.filter((u) => /^(core\/runtime|core\/model|kernels|ui\/chat)\//.test(u))).toEqual([])
    }
  })

  it('the store commands import no tokenizer, model or heavy package', () => {
    const r = loads(['models', 'list'], undefined)
    expect(r.code, r.stderr).toBe(0)
    expect(r.commands).toEqual(['commands/models/list.js'])
    expect(r.packages.filter((p) => HEAVY.includes(p))).toEqual([])
    expect(r.ours.filter((u) => /^(tokenizer|core\/runtime|core\/model|kernels|ui\/chat)\//.test(u))).toEqual([])
  })

  it('eval --compare runs no model and so loads no onnxruntime', () => {
    const r = loads(['eval', '--compare', join(dir, 'a.json'), join(dir, 'b.json')])
    expect(r.code, r.stderr).toBe(1) // the files do not exist: the imports happened all the same
    expect(r.stderr).toMatch(/a\.json/)
    expect(r.commands).toEqual(['commands/eval.js'])
    expect(r.packages.filter((p) => HEAVY.includes(p))).toEqual([])
  })

  it('piped chat runs the model (onnxruntime) without ink or React', () => {
    const r = loads(['chat', '-m', join(repoRoot, 'models/default'), '-n', '2', '--temperature', '0'], 'hi\n')
    expect(r.code, r.stderr).toBe(0)
    expect(r.commands).toEqual(['commands/chat.js'])
    expect(r.packages.filter((p) => ORT.includes(p))).not.toEqual([])
    expect(r.packages.filter((p) => UI.includes(p))).toEqual([])
    expect(r.ours.filter((u) => u.startsWith('ui/'))).toEqual([])
  })
})
