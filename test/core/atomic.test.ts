import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers.js'
import { backupOf, recoverDir, replaceDir } from '../../src/core/atomic.js'

describe('replaceDir', () => {
  let root: string
  const folder = (name: string, text: string) => {
    mkdirSync(join(root, name))
    writeFileSync(join(root, name, 'a.txt'), text)
    return join(root, name)
  }
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'llm-atomic-')) })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('swaps a folder in, leaving nothing else behind', () => {
    const dir = folder('model', 'old')
    replaceDir(folder('.staging', 'new'), dir)
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('new')
    expect(readdirSync(root)).toEqual(['model'])
  })

  it('a crash between its two renames loses nothing: the old folder comes back, or the next replace goes on', () => {
    const crash = (staging: string, dir: string) => {
      // a process killed at the second rename (exit 137, as by SIGKILL)
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
const rename = fs.renameSync
let n = 0
fs.renameSync = (a, b) => { if (++n === 2) process.exit(137); return rename(a, b) }
syncBuiltinESMExports()
const { replaceDir } = await import(${JSON.stringify(join(repoRoot, 'dist/src/core/atomic.js'))})
replaceDir(${JSON.stringify(staging)}, ${JSON.stringify(dir)})
`], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(137)
    }
    const dir = folder('model', 'old')
    crash(folder('.staging', 'new'), dir)
    expect(existsSync(dir)).toBe(false) // what the crash left: no folder, its backup, the staging
    expect(readFileSync(join(backupOf(dir), 'a.txt'), 'utf8')).toBe('old')
    expect(recoverDir(dir)).toBe(true)
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('old')
    expect(existsSync(backupOf(dir))).toBe(false)
    expect(recoverDir(dir)).toBe(false)

    // without an explicit recover, the next replaceDir recovers first (it used to delete the backup: the only copy)
    rmSync(join(root, '.staging'), { recursive: true })
    crash(folder('.staging', 'newer'), dir)
    replaceDir(folder('.staging2', 'newest'), dir)
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('newest')
    expect(existsSync(backupOf(dir))).toBe(false)
  })

  it('puts the old folder back when bringing the new one in fails', () => {
    const dir = folder('model', 'old')
    expect(() => replaceDir(join(root, 'missing-staging'), dir)).toThrow(/ENOENT/)
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('old')
    expect(existsSync(backupOf(dir))).toBe(false)
  })
})
