/**
 * llm embed, classify, cluster and ask as a user runs them (real processes).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeRandomTinyBert } from '../fixtures/embed/tiny-bert.js'
import { convertStories260K, needs, runCli, seededRandom, shared, SHARED } from '../helpers.js'
import { autoK, kmeans, silhouette } from '../../src/core/cluster/index.js'

let root = ''
let bert = ''
const env = () => ({ LLM_HOME: join(root, 'home') })
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'llm-rag-cli-'))
  bert = writeRandomTinyBert(join(root, 'bert'))
})
afterAll(() => { if (root) rmSync(root, { recursive: true, force: true }) })

describe('llm embed', () => {
  it('one JSON array per line, unit vectors; --json; stdin lines', () => {
    const r = runCli(['embed', '-m', bert, 'the cat', 'a dog'], { env: env() })
    expect(r.code, r.stderr).toBe(0)
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as number[])
    expect(rows).toHaveLength(2)
    for (const v of rows) { expect(v).toHaveLength(16); expect(Math.hypot(...v)).toBeCloseTo(1, 5) }
    const j = runCli(['embed', '-m', bert, '--json'], { env: env(), input: 'the cat\na dog\n' })
    expect(JSON.parse(j.stdout)).toMatchObject({ kind: 'encoder', pooling: 'mean', normalized: true, dim: 16, vectors: rows })
  })
})

describe('k-means++ and silhouette', () => {
  const blobs = () => {
    const r = seededRandom(7)
    const centres = [[5, 0, 0], [0, 5, 0], [0, 0, 5]]
    return Array.from({ length: 60 }, (_, i) => centres[i % 3]!.map((c) => c + (r() - 0.5)))
  }
  it('recovers well-separated blobs, the same for the same seed; auto-k picks 3', () => {
    const pts = blobs()
    const a = kmeans(pts, 3, 1)
    expect(kmeans(pts, 3, 1).assignments).toEqual(a.assignments)
    for (let i = 0; i < 60; i++) expect(a.assignments[i]).toBe(a.assignments[i % 3])
    expect(new Set(a.assignments).size).toBe(3)
    expect(autoK(pts, 0, 6).best.k).toBe(3)
    expect(silhouette(pts, a.assignments)).toBeGreaterThan(0.8)
  })
  it('silhouette equals the definition computed naively', () => {
    const pts = [[0, 0], [0, 1], [4, 0], [4, 1], [9, 9]]
    const lab = [0, 0, 1, 1, 1]
    const d = (p: number[], q: number[]) => Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!)
    let want = 0
    pts.forEach((p, i) => {
      const same = pts.filter((_, j) => j !== i && lab[j] === lab[i]), other = pts.filter((_, j) => lab[j] !== lab[i])
      const a = same.reduce((s, q) => s + d(p, q), 0) / same.length, b = other.reduce((s, q) => s + d(p, q), 0) / other.length
      want += (b - a) / Math.max(a, b)
    })
    expect(silhouette(pts, lab)).toBeCloseTo(want / pts.length, 12)
  })
})

describe('llm cluster', () => {
  it('prints sizes and central texts; --json; --auto-k; bad flags are usage errors', () => {
    const file = join(root, 'texts.txt')
    writeFileSync(file, ['the cat sat', 'a cat on a mat', 'the dog ran', 'a dog and a river', 'money in the bank', 'the bank of the river', 'hello world', 'king and queen'].join('\n') + '\n')
    const r = runCli(['cluster', file, '--k', '3', '-m', bert, '--json'], { env: env() })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.k).toBe(3)
    expect(out.clusters.reduce((a: number, c: { size: number }) => a + c.size, 0)).toBe(8)
    expect(runCli(['cluster', file, '--k', '3', '-m', bert, '--json'], { env: env() }).stdout).toBe(r.stdout)
    const auto = runCli(['cluster', file, '--auto-k', '--max-k', '4', '-m', bert], { env: env() })
    expect(auto.code, auto.stderr).toBe(0)
    expect(auto.stdout).toMatch(/^k \d, silhouette -?\d\.\d+ \(best of k = 2\.\.4\)\ncluster 0 \(\d texts\)/)
    const bad = runCli(['cluster', file, '-m', bert], { env: env() })
    expect([bad.code, bad.stderr.trim().split('\n').length]).toEqual([2, 1])
  })
})

needs(SHARED).describe('llm classify and llm ask (stories260K)', () => {
  let model = ''
  beforeAll(() => {
    model = join(root, 'stories')
    convertStories260K(model)
  }, 120_000)

  it('classify: one text, --json, batch JSONL/CSV in, JSONL out; empty labels is one line', () => {
    const one = runCli(['classify', 'Lily was very happy with her new toy.', '--labels', 'happy,sad', '-m', model, '--json'])
    expect(one.code, one.stderr).toBe(0)
    const j = JSON.parse(one.stdout)
    expect(Object.keys(j.probs)).toEqual(['happy', 'sad'])
    expect(j.probs.happy + j.probs.sad).toBeCloseTo(1, 10)
    const csv = join(root, 'in.csv')
    writeFileSync(csv, 'id,text\n1,"Tom cried, he was sad."\n2,Lily smiled.\n')
    const batch = runCli(['classify', '--input', csv, '--preset', 'sentiment', '-m', model])
    expect(batch.code, batch.stderr).toBe(0)
    const rows = batch.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(rows.map((r) => [r.id, r.text])).toEqual([['1', 'Tom cried, he was sad.'], ['2', 'Lily smiled.']])
    expect(Object.keys(rows[0].probs)).toEqual(['positive', 'negative', 'neutral'])
    const piped = runCli(['classify', '--labels', 'happy,sad', '-m', model], { input: '{"text": "a sad day", "gold": "sad"}\n' })
    expect(JSON.parse(piped.stdout.trim())).toMatchObject({ text: 'a sad day', gold: 'sad' })
    const empty = runCli(['classify', 'x', '--labels', ',', '-m', model])
    expect([empty.code, empty.stderr.trim().split('\n').length]).toEqual([2, 1])
    expect(empty.stderr).toMatch(/--labels: the label list is empty/)
  })

  it('ask: answers with numbered sources fitted to the context; says so when nothing is relevant', () => {
    mkdirSync(join(root, 'stories-docs'))
    writeFileSync(join(root, 'stories-docs', 'lily.txt'), Array.from({ length: 40 }, (_, i) => `Lily had a red ball number ${i}. She played with it in the park every day.`).join('\n\n') + '\n')
    writeFileSync(join(root, 'stories-docs', 'tom.txt'), 'Tom had a big blue boat. He sailed it on the lake with his dad.\n')
    expect(runCli(['index', 'add', 'st', join(root, 'stories-docs'), '--chunk-tokens', '120'], { env: env() }).code).toBe(0)
    const r = runCli(['ask', 'What did Lily play with in the park?', '--index', 'st', '-k', '8', '-m', model, '--temperature', '0', '-n', '40', '--json'], { env: env() })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.found).toBe(true)
    expect(out.sources_found).toBeGreaterThanOrEqual(5)
    // the chunks of ~120 words do not all fit stories260K's 512 tokens with 40 to generate: fewer are used
    expect(out.sources_used).toBeLessThan(out.sources_found)
    expect(out.sources_used).toBeGreaterThanOrEqual(1)
    expect(out.prompt_tokens + 40).toBeLessThanOrEqual(512)
    expect(out.sources[0]).toMatchObject({ n: 1, source: join(root, 'stories-docs', 'lily.txt') })
    const none = runCli(['ask', 'What is the capital of Mongolia?', '--index', 'st', '-m', model, '--json'], { env: env() })
    expect(JSON.parse(none.stdout)).toMatchObject({ found: false, sources: [], sources_used: 0 })
    expect(JSON.parse(none.stdout).answer).toMatch(/Nothing relevant was found/)
    const text = runCli(['ask', 'Who sailed the boat on the lake?', '--index', 'st', '-m', model, '--seed', '1', '-n', '20'], { env: env() })
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/\nSources \(1 of 1 relevant\):\n\[1\] .*tom\.txt:1-1\n$/)
  }, 120_000)
})
