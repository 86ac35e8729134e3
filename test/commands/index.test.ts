/**
 * `llm index …` as a user runs it: real processes, exit codes, one-line errors, and a child
 * process killed (SIGKILL) in the middle of `index add`, after which the index holds whole files
 * only and a second `add` finishes the job.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import * as sqliteVec from 'sqlite-vec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeRandomTinyBert } from '../fixtures/embed/tiny-bert.js'
import { repoRoot, runCli } from '../helpers.js'

let root = ''
let home: Record<string, string> = {}
let bert = ''
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'llm-index-cli-'))
  home = { LLM_HOME: join(root, 'home') }
  bert = writeRandomTinyBert(join(root, 'bert'))
  mkdirSync(join(root, 'docs'))
  writeFileSync(join(root, 'docs', 'a.txt'), 'The river runs to the sea.\n\nThe king and the queen.\n')
  writeFileSync(join(root, 'docs', 'b.md'), '# Cats\n\nA cat sat on the mat.\n')
  mkdirSync(join(root, 'many'))
  for (let i = 0; i < 60; i++) {
    const text = Array.from({ length: 30 }, (_, p) => `Paragraph ${p} of file ${i}: the cat and the dog ran to the river bank with money.`).join('\n\n')
    writeFileSync(join(root, 'many', `f${String(i).padStart(2, '0')}.txt`), text + '\n')
  }
})
afterAll(() => { if (root) rmSync(root, { recursive: true, force: true }) })

const cli = (args: string[]) => runCli(args, { env: home })

describe('llm index', () => {
  it('add, search (--json), list, info, rm', () => {
    const add = cli(['index', 'add', 'notes', join(root, 'docs'), '--json'])
    expect(add.code, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ index: 'notes', files: 2, added: 2, vectors: false, embed_model: null })
    const s = cli(['index', 'search', 'notes', 'where does the river run?', '-k', '5', '--json'])
    expect(s.code, s.stderr).toBe(0)
    const out = JSON.parse(s.stdout)
    expect(out.mode).toBe('bm25')
    expect(out.results[0]).toMatchObject({ source: join(root, 'docs', 'a.txt'), lines: [1, 3], chunk: 0 })
    expect(Object.keys(out.results[0]).sort()).toEqual(['bm25', 'chunk', 'lines', 'score', 'source', 'text'])
    const piped = runCli(['index', 'search', 'notes'], { env: home, input: 'cat on a mat\n' })
    expect(piped.stdout).toContain('b.md:1-3')
    const list = cli(['index', 'list', '--json'])
    expect(JSON.parse(list.stdout).indexes).toMatchObject([{ name: 'notes', files: 2, embed_model: null }])
    const info = cli(['index', 'info', 'notes'])
    expect(info.stdout).toMatch(/files {6}2 .*\n.*BM25 only|vectors +none \(BM25 only\)/)
    const rm = cli(['index', 'rm', 'notes'])
    expect(rm.code).toBe(0)
    expect(existsSync(join(root, 'home', 'index', 'notes.sqlite'))).toBe(false)
  })

  it('an index with vectors searches in hybrid mode by default', () => {
    const add = cli(['index', 'add', 'vec', join(root, 'docs'), '--embed-model', bert, '--json'])
    expect(add.code, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ vectors: true, embed_model: resolve(bert) })
    const s = cli(['index', 'search', 'vec', 'river', '--json'])
    expect(s.code, s.stderr).toBe(0)
    const out = JSON.parse(s.stdout)
    expect(out.mode).toBe('hybrid')
    expect(out.results[0].similarity).toBeTypeOf('number')
  })

  it('bad input: unknown index, corrupt database, bad name, unsupported file — one line each', () => {
    const oneLine = (r: { code: number; stderr: string }, code: number, re: RegExp) => {
      expect(r.code).toBe(code)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(re)
    }
    oneLine(cli(['index', 'search', 'nope', 'x']), 1, /^llm index search: error: .*nope\.sqlite: index 'nope' not found \(hint: see 'llm index list'/)
    oneLine(cli(['index', 'info', 'nope']), 1, /index 'nope' not found/)
    const bad = join(root, 'bad.sqlite')
    writeFileSync(bad, 'this is not a database, just some text that is long enough to be read as a header '.repeat(80))
    oneLine(cli(['index', 'search', '--db', bad, 'x']), 1, /bad\.sqlite: not a readable index database: file is not a database.*hint: the file is damaged/)
    oneLine(cli(['index', 'add', '../x', join(root, 'docs')]), 2, /invalid index name/)
    writeFileSync(join(root, 'x.csv'), 'a,b\n')
    oneLine(cli(['index', 'add', 'csv', join(root, 'x.csv')]), 2, /x\.csv: unsupported file type '\.csv'/)
  })

  it('a kill -9 during add leaves whole files only; the next add finishes the job', async () => {
    const db = join(root, 'kill.sqlite')
    const child = spawn(process.execPath, [join(repoRoot, 'bin/run.js'), 'index', 'add', '--db', db, 'kill', join(root, 'many'), '--embed-model', bert, '--progress', 'jsonl', '--chunk-tokens', '16', '--batch-size', '1'], {
      env: { ...process.env, ...home, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    let killedAt = -1
    await new Promise<void>((done) => {
      let buf = ''
      child.stderr.on('data', (d: Buffer) => {
        buf += d.toString()
        for (const line of buf.split('\n').slice(0, -1)) {
          const ev = JSON.parse(line) as { event: string; done?: number }
          if (ev.event === 'progress' && ev.done! >= 3 && killedAt < 0) { killedAt = ev.done!; child.kill('SIGKILL') }
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1)
      })
      child.on('exit', () => done())
    })
    expect(killedAt).toBeGreaterThanOrEqual(3)
    expect(child.signalCode).toBe('SIGKILL')
    const check = () => {
      const d = new Database(db)
      sqliteVec.load(d)
      try {
        expect(d.pragma('integrity_check', { simple: true })).toBe('ok')
        const files = d.prepare('select f.id, f.chunks, count(c.id) n from files f left join chunks c on c.file_id = f.id group by f.id').all() as { chunks: number; n: number }[]
        for (const f of files) expect(f.n).toBe(f.chunks)
        const n = (sql: string) => (d.prepare(sql).get() as { n: number }).n
        expect(n('select count(*) n from chunks_fts')).toBe(n('select count(*) n from chunks'))
        expect(n('select count(*) n from chunks_vec')).toBe(n('select count(*) n from chunks'))
        return files.length
      } finally { d.close() }
    }
    const committed = check()
    expect(committed).toBeGreaterThanOrEqual(killedAt)
    expect(committed).toBeLessThan(60)
    expect(readdirSync(root).filter((f) => f.startsWith('kill.sqlite') && !/^kill\.sqlite(-wal|-shm)?$/.test(f))).toEqual([])
    const again = cli(['index', 'add', '--db', db, 'kill', join(root, 'many'), '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ files: 60, added: 60 - committed, unchanged: committed, replaced: 0 })
    expect(check()).toBe(60)
    const info = JSON.parse(cli(['index', 'info', '--db', db, '--json']).stdout)
    expect(info).toMatchObject({ files: 60, meta: { chunkTokens: 16, embedModel: resolve(bert) } })
  }, 120_000)
})
