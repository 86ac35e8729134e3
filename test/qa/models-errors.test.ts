import { mkdtempSync } from 'node:fs'
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
