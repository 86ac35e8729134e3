/**
 * Start-up cost: without an oclif manifest, oclif imports EVERY command's file to run any one of
 * them, so a command file that imports onnxruntime, the ONNX graph builder (protobufjs), ink/React
 * or the chat-template engine at the top slows down `llm tokenize … hi` too. Those load inside
 * run(). This records every module `llm tokenize` resolves and checks none of them is heavy.
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

const HEAVY = ['onnxruntime-node', 'onnxruntime-common', 'protobufjs', 'ink', 'react', '@huggingface/jinja', 'sqlite-vec']

describe('start-up', () => {
  it('llm tokenize loads no heavy package (every command file is imported)', () => {
    const r = runCli(['tokenize', '-t', join(repoRoot, 'models/default'), 'hi'], { env: { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` } })
    expect(r.code, r.stderr).toBe(0)
    const urls = r.stderr.split('\n').filter((l) => l.startsWith('LOADED '))
    const loaded = urls.map((l) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(l)?.[1]).filter((p) => p !== undefined)
    expect(loaded).toContain('@oclif/core') // the hook did see the imports
    // and none of our modules that wrap them
    expect([...new Set(loaded)].filter((p) => HEAVY.includes(p))).toEqual([])
    expect(urls.filter((u) => /dist\/src\/(core\/runtime\/ort|kernels\/onnx\/|ui\/chat\/)/.test(u))).toEqual([])
  })
})
