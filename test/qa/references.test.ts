/**
 * The one rule for tests that need a reference (test/helpers.ts needs/have): with CI set, a
 * missing reference FAILS with a message naming it; without CI, the test is skipped with that
 * reason. Checked by running vitest on a small test file whose reference is missing.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-qa-refs-'))
writeFileSync(join(dir, 'refs.test.ts'), `
import { have, needs, Reference } from ${JSON.stringify(join(repoRoot, 'test/helpers.ts'))}
const gone = new Reference(() => 'the oracle is not installed')
needs(gone).describe('a suite that needs it', () => { throw new Error('collected the suite body') })
needs(gone).it('a test that needs it', () => { throw new Error('ran the test body') })
needs().it('a part of a test that needs it', () => { if (have(gone)) throw new Error('have() said yes') })
`)

function vitest(ci: string | undefined): { code: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.CI
  if (ci !== undefined) env.CI = ci
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--reporter', 'verbose'], { cwd: dir, env, encoding: 'utf8' })
  return { code: r.status, out: r.stdout + r.stderr }
}

describe('a missing reference', () => {
  it('fails every test that needs it when CI is set, naming it', () => {
    const r = vitest('true')
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/3 failed/)
    expect(r.out).toMatch(/missing reference: the oracle is not installed \(CI is set, so a test without its reference fails instead of skipping\)/)
    expect(r.out).not.toMatch(/collected the suite body|ran the test body|have\(\) said yes/)
  })

  it('skips them, with the reason, when CI is unset', () => {
    const r = vitest(undefined)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/skipped: the oracle is not installed/)
    expect(r.out).toMatch(/2 skipped/)
    expect(r.out).not.toMatch(/collected the suite body|ran the test body|have\(\) said yes/)
  })
})
