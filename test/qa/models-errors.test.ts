import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers.js'

const home = mkdtempSync(join(tmpdir(), 'llm-qa-home-'))

describe('llm models pull: a bad HF_ENDPOINT', () => {
  it('is named, with a hint, instead of a bare "Invalid URL"', () => {
    for (const bad of ['notaurl', 'ftp://example.org']) {
      const r = runCli(['models', 'pull', 'a/b'], { env: { LLM_HOME: home, HF_ENDPOINT: bad } })
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(`llm models pull: error: HF_ENDPOINT: not an http(s) URL: '${bad}' (hint: e.g. HF_ENDPOINT=https://huggingface.co, or unset it)\n`)
    }
  })
})

describe('llm models rm while a pull of the model runs', () => {
  it('refuses in one line, exit 1, and keeps the model', () => {
    const store = mkdtempSync(join(tmpdir(), 'llm-qa-home-'))
    mkdirSync(join(store, 'models', 'alice--tiny'), { recursive: true })
    writeFileSync(join(store, 'models', 'alice--tiny', 'config.json'), '{}')
    mkdirSync(join(store, 'models', '.partial'))
    // the lock as a running pull holds it: this (live) test process's pid
    writeFileSync(join(store, 'models', '.partial', 'alice--tiny.lock'), `${process.pid} 00ff\n`)
    const r = runCli(['models', 'rm', 'alice/tiny'], { env: { LLM_HOME: store } })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`llm models rm: error: alice/tiny: a pull of this model is running (pid ${process.pid}): not removing it (hint: wait for the pull to finish or stop it, then run 'llm models rm alice/tiny' again)\n`)
    expect(existsSync(join(store, 'models', 'alice--tiny', 'config.json'))).toBe(true)
  })
})
