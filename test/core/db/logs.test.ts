import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { dbPath, loggingEnabled, migrate, openDb } from '../../../src/core/db/index.js'
import { deleteRequestsBefore, getRequest, insertRequest, listRequests, parseDate, RequestLog, searchRequests, type RequestRecord } from '../../../src/core/db/logs.js'
import { MIGRATIONS } from '../../../src/core/db/schema.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-db-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const rec = (over: Partial<RequestRecord>): RequestRecord => ({
  createdAt: new Date('2026-11-20T10:00:00Z'), source: 'generate', model: 'default', prompt: 'p', response: 'r', ...over,
})

describe('llm.sqlite', () => {
  it('lives at $LLM_HOME/llm.sqlite, in WAL mode, at the latest schema version', () => {
    const env = { LLM_HOME: join(dir, 'home') }
    expect(dbPath(env)).toBe(join(dir, 'home', 'llm.sqlite'))
    const db = openDb({ env })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
    db.close()
    // reopening applies nothing twice
    const again = openDb({ env })
    expect(migrate(again)).toBe(MIGRATIONS.length)
    again.close()
  })

  it('refuses a database from a newer llm', () => {
    const path = join(dir, 'newer.sqlite')
    const raw = new Database(path)
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    raw.close()
    expect(() => openDb({ path })).toThrow(/schema version .* newer than this llm knows/)
  })

  it('LLM_NO_LOG turns writing off', () => {
    expect(loggingEnabled({})).toBe(true)
    for (const v of ['1', 'true', 'YES']) expect(loggingEnabled({ LLM_NO_LOG: v })).toBe(false)
    expect(loggingEnabled({ LLM_NO_LOG: '0' })).toBe(true)
    const path = join(dir, 'off.sqlite')
    const log = new RequestLog({ env: { LLM_NO_LOG: '1' }, path })
    expect(log.record(rec({}))).toBeUndefined()
    log.close()
    expect(() => new Database(path, { fileMustExist: true })).toThrow()
  })
})

describe('request log', () => {
  const db = openDb({ path: ':memory:' })
  const a = insertRequest(db, rec({ prompt: 'Once upon a time', response: 'there was a dragon', source: 'serve', endpoint: '/v1/completions', status: 200, promptTokens: 4, completionTokens: 5, options: { temperature: 0 } }))
  const b = insertRequest(db, rec({ createdAt: new Date('2026-11-21T00:00:00Z'), source: 'chat', prompt: 'hello', messages: [{ role: 'user', content: 'hello' }], response: 'Good morrow, my lord' }))
  insertRequest(db, rec({ createdAt: new Date('2026-11-22T00:00:00Z'), prompt: 'the dragon sleeps', response: 'zzz' }))

  it('stores and reads back every field', () => {
    const r = getRequest(db, a)!
    expect(r).toMatchObject({ id: a, source: 'serve', endpoint: '/v1/completions', model: 'default', prompt: 'Once upon a time', status: 200, prompt_tokens: 4, completion_tokens: 5, options: { temperature: 0 }, messages: null })
    expect(getRequest(db, b)!.messages).toEqual([{ role: 'user', content: 'hello' }])
    expect(listRequests(db).map((x) => x.id)).toEqual([3, 2, 1])
    expect(listRequests(db, { source: 'chat' }).map((x) => x.id)).toEqual([b])
    expect(listRequests(db, { since: '2026-11-21' }).map((x) => x.id)).toEqual([3, 2])
  })

  it('searches prompts and responses with FTS5, plain words when the query is not FTS5', () => {
    expect(searchRequests(db, 'dragon').map((r) => r.id).sort()).toEqual([1, 3])
    expect(searchRequests(db, 'response:dragon').map((r) => r.id)).toEqual([1])
    expect(searchRequests(db, 'morr*').map((r) => r.id)).toEqual([b])
    expect(searchRequests(db, '"upon a time"').map((r) => r.id)).toEqual([a])
    expect(searchRequests(db, 'dragon"-').map((r) => r.id).sort()).toEqual([1, 3]) // unbalanced quote: searched as words
    expect(searchRequests(db, 'unicorn')).toEqual([])
  })

  it('deletes before a date and keeps the index in step', () => {
    expect(deleteRequestsBefore(db, '2026-11-21')).toBe(1)
    expect(searchRequests(db, 'dragon').map((r) => r.id)).toEqual([3])
    expect(() => parseDate('yesterday', '--before')).toThrow(/'yesterday' is not a date/)
  })
})
