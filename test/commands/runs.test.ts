/**
 * Run tracking end to end through the CLI: two short real `llm pretrain` runs and an `llm eval`
 * recorded in a temp LLM_HOME (and an MLflow store), then `llm runs list|show|compare|plot`.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PALETTE } from '../../src/core/plot/chart.js'
import { runCli } from '../helpers.js'
import { countColour, decodePng, inkPixels } from '../helpers-png.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-runs-cli-'))
const env = { LLM_HOME: join(dir, 'home'), LLM_NO_LOG: '' }
const mlflow = join(dir, 'mlruns')
const data = join(dir, 'corpus.txt')
const tiny = ['--tokenizer', 'char', '--steps', '12', '--layers', '1', '--dim', '32', '--heads', '2', '--kv-heads', '2', '--hidden', '64',
  '--seq-len', '32', '--batch-size', '2', '--eval-every', '4', '--eval-steps', '1', '--progress', 'none']
const ids: string[] = []

beforeAll(() => {
  const words = ['the', 'king', 'and', 'queen', 'of', 'night', 'speak', 'now', 'my', 'lord', 'good', 'morrow']
  let text = ''
  for (let i = 0; i < 4000; i++) text += words[(i * 7 + (i >> 3)) % words.length] + (i % 9 === 8 ? '.\n' : ' ')
  writeFileSync(data, text)
  for (const [name, lr] of [['run-a', '0.001'], ['run-b', '0.01']] as const) {
    const r = runCli(['pretrain', '--data', data, '--out', join(dir, name), '--lr', lr, ...tiny, '--mlflow', mlflow, '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
  }
  const list = runCli(['runs', 'list', '--json'], { env })
  expect(list.code, list.stderr).toBe(0)
  ids.push(...(JSON.parse(list.stdout) as { runs: { id: string }[] }).runs.map((r) => r.id).reverse())
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('llm runs', () => {
  it('records each pretrain run with its signature, params, per-step metrics, artifacts and status', () => {
    const r = runCli(['runs', 'show', 'run-a', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const run = JSON.parse(r.stdout) as { id: string; status: string; params: { lr: number }; signature: { data: { sha256: string }[]; seed: number; tokenizer_sha256: string }; metrics: Record<string, [number, number][]>; artifacts: { path: string }[] }
    expect(run.id).toBe(ids[0])
    expect(run.status).toBe('FINISHED')
    expect(run.params.lr).toBe(0.001)
    expect(run.signature.seed).toBe(1337)
    expect(run.signature.data[0]!.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(run.signature.tokenizer_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(run.metrics.loss!.map(([s]) => s)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(run.metrics.val_loss!.map(([s]) => s)).toEqual([4, 8, 12])
    // the same numbers as the run's own metrics.jsonl
    const jsonl = readFileSync(join(dir, 'run-a', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number })
    expect(run.metrics.loss!.map(([, v]) => v)).toEqual(jsonl.map((m) => m.loss))
    expect(run.artifacts.map((a) => a.path.split('/').pop())).toContain('model.safetensors')
    const text = runCli(['runs', 'show', ids[0]!.slice(0, 8)], { env })
    expect(text.stdout).toMatch(/loss: 12 points, step 1 .* → step 12 /)
  })

  it('writes the runs into the MLflow store too', () => {
    const exp = join(mlflow, '0')
    expect(readdirSync(exp).filter((d) => d !== 'meta.yaml').sort()).toEqual([...ids].sort())
    const loss = readFileSync(join(exp, ids[1]!, 'metrics', 'loss'), 'utf8').trim().split('\n')
    expect(loss.length).toBe(12)
    expect(readFileSync(join(exp, ids[1]!, 'params', 'lr'), 'utf8')).toBe('0.01')
    expect(readFileSync(join(exp, ids[1]!, 'meta.yaml'), 'utf8')).toMatch(/status: 3\n/)
  })

  it('compares two runs', () => {
    const r = runCli(['runs', 'compare', 'run-a', 'run-b', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const c = JSON.parse(r.stdout) as { differences: [string, unknown, unknown][]; metrics: { key: string }[] }
    expect(c.differences).toContainEqual(['params.lr', 0.001, 0.01])
    expect(c.differences.map(([k]) => k)).not.toContain('signature.data')
    expect(c.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['loss', 'val_loss', 'lr']))
  })

  it('plots two runs, train and validation, to a PNG that is not blank', () => {
    const out = join(dir, 'curves.png')
    const r = runCli(['runs', 'plot', 'run-a', 'run-b', '--metric', 'loss', '--out', out], { env })
    expect(r.code, r.stderr).toBe(0)
    const png = decodePng(readFileSync(out))
    expect([png.width, png.height]).toEqual([800, 500])
    expect(inkPixels(png)).toBeGreaterThan(5000)
    expect(countColour(png, PALETTE[0]!)).toBeGreaterThan(300) // run-a
    expect(countColour(png, PALETTE[1]!)).toBeGreaterThan(300) // run-b
    const svg = join(dir, 'curves.svg')
    expect(runCli(['runs', 'plot', 'run-a', 'run-b', '--out', svg], { env }).code).toBe(0)
    expect(readFileSync(svg, 'utf8').match(/<polyline/g)!.length).toBeGreaterThan(8)
    const bad = runCli(['runs', 'plot', 'run-a', '--out', join(dir, 'x.gif')], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--out: cannot tell the image format/)
  })

  it('records an eval run with its metrics', () => {
    const r = runCli(['eval', data, '-m', join(dir, 'run-a'), '--limit', '2', '--mlflow', mlflow, '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const results = JSON.parse(r.stdout) as { results: Record<string, Record<string, number>> }
    const list = JSON.parse(runCli(['runs', 'list', '--kind', 'eval', '--json'], { env }).stdout) as { runs: { name: string; summary: Record<string, number>; status: string }[] }
    expect(list.runs.length).toBe(1)
    expect(list.runs[0]!.status).toBe('FINISHED')
    const task = Object.keys(results.results)[0]!
    for (const [k, v] of Object.entries(list.runs[0]!.summary)) expect(results.results[task]![`${k},none`]).toBe(v)
  })
  it('reading commands on an empty home say nothing was recorded and create no database', () => {
    const home = join(dir, 'empty-home')
    for (const args of [['runs', 'show', 'x'], ['runs', 'compare', 'x', 'y'], ['runs', 'plot', 'x', '--out', join(dir, 'x.png')]]) {
      const r = runCli(args, { env: { LLM_HOME: home } })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/no run 'x' \(nothing recorded yet\)/)
    }
    expect(runCli(['logs', 'list', '--since', 'nope'], { env: { LLM_HOME: home } }).stderr).toMatch(/--since: 'nope' is not a date/)
    expect(() => readdirSync(home)).toThrow()
  })
})
