/**
 * Run tracking and the MLflow file-store writer. The layout is checked against what
 * mlflow/store/tracking/file_store.py writes and reads: experiment and run meta.yaml keys,
 * status as RunStatus integers, metric lines "timestamp value step", params/tags as files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { openDb } from '../../../src/core/db/index.js'
import { compareRuns, findRun, listRuns, logMetricRows, runArtifacts, runMetrics, startRun } from '../../../src/core/runs/index.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-runs-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = { LLM_HOME: join(dir, 'home') }
const mlruns = join(dir, 'mlruns')

// RunInfo's fields plus what _make_persisted_run_info_dict adds (and create_run's deleted_time)
const RUN_META_KEYS = ['artifact_uri', 'deleted_time', 'end_time', 'entry_point_name', 'experiment_id', 'lifecycle_stage', 'run_id', 'run_name', 'run_uuid', 'source_name', 'source_type', 'source_version', 'start_time', 'status', 'tags', 'user_id']
const EXPERIMENT_META_KEYS = ['artifact_location', 'creation_time', 'experiment_id', 'last_update_time', 'lifecycle_stage', 'name']

describe('runs', () => {
  const artifact = join(dir, 'config.json')
  writeFileSync(artifact, '{"a": 1}\n')
  const a = startRun({ kind: 'pretrain', name: 'small', params: { lr: 0.001, steps: 3 }, signature: { data: [], seed: 1, device: 'cpu', versions: { llm: 'test' } }, mlflow: mlruns, env })
  logMetricRows(a, [{ step: 1, loss: 3.5, lr: 0.001 }, { step: 2, loss: 3.0, lr: 0.001, val_loss: 3.2 }, { step: 3, loss: 2.5, lr: 0.0005 }])
  a.logArtifact(artifact, 'config')
  a.finish('FINISHED', { train_loss: 2.5 })
  const b = startRun({ kind: 'pretrain', name: 'bigger', params: { lr: 0.003, steps: 3 }, signature: { data: [], seed: 1, device: 'cpu', versions: { llm: 'test' } }, mlflow: mlruns, env })
  b.logMetric(3, 'loss', 2.0)

  it('records runs, metrics and artifacts in llm.sqlite', () => {
    const db = openDb({ env })
    try {
      expect(listRuns(db).map((r) => [r.name, r.status])).toEqual([['bigger', 'RUNNING'], ['small', 'FINISHED']])
      const run = findRun(db, a.id.slice(0, 6))
      expect(run).toMatchObject({ id: a.id, kind: 'pretrain', params: { lr: 0.001, steps: 3 }, summary: { train_loss: 2.5 } })
      expect(findRun(db, 'small').id).toBe(a.id)
      expect(() => findRun(db, 'nope')).toThrow(/no run 'nope'/)
      const m = runMetrics(db, a.id)
      expect(m.get('loss')!.map((p) => [p.step, p.value])).toEqual([[1, 3.5], [2, 3.0], [3, 2.5]])
      expect(m.get('val_loss')!.map((p) => p.step)).toEqual([2])
      expect(runArtifacts(db, a.id)).toEqual([{ path: artifact, kind: 'config' }])
      const c = compareRuns(db, findRun(db, a.id), findRun(db, b.id))
      expect(c.differences).toEqual([['params.lr', 0.001, 0.003]])
      expect(c.metrics).toEqual([{ key: 'loss', a: 2.5, b: 2.0, delta: -0.5 }])
    } finally {
      db.close()
    }
  })

  it("writes MLflow's file-store layout", () => {
    const exp = parseYaml(readFileSync(join(mlruns, '0', 'meta.yaml'), 'utf8')) as Record<string, unknown>
    expect(Object.keys(exp).sort()).toEqual(EXPERIMENT_META_KEYS)
    expect(exp).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' })
    expect(existsSync(join(mlruns, '.trash'))).toBe(true)
    const runDir = join(mlruns, '0', a.id)
    const meta = parseYaml(readFileSync(join(runDir, 'meta.yaml'), 'utf8')) as Record<string, unknown>
    expect(Object.keys(meta).sort()).toEqual(RUN_META_KEYS)
    expect(meta).toMatchObject({ run_id: a.id, run_uuid: a.id, run_name: 'small', experiment_id: '0', status: 3, source_type: 4, lifecycle_stage: 'active', tags: [] })
    expect(meta.end_time as number).toBeGreaterThanOrEqual(meta.start_time as number)
    expect(meta.artifact_uri).toBe(`file://${runDir}/artifacts`)
    const lines = readFileSync(join(runDir, 'metrics', 'loss'), 'utf8').trim().split('\n')
    expect(lines.map((l) => l.split(' ').slice(1))).toEqual([['3.5', '1'], ['3', '2'], ['2.5', '3']])
    for (const l of lines) expect(l).toMatch(/^\d{13} \S+ \d+$/)
    expect(readFileSync(join(runDir, 'params', 'lr'), 'utf8')).toBe('0.001')
    expect(readFileSync(join(runDir, 'tags', 'mlflow.runName'), 'utf8')).toBe('small')
    expect(readFileSync(join(runDir, 'artifacts', 'config.json'), 'utf8')).toBe('{"a": 1}\n')
    // the unfinished run says RUNNING (1) with no end time
    const running = parseYaml(readFileSync(join(mlruns, '0', b.id, 'meta.yaml'), 'utf8')) as Record<string, unknown>
    expect(running).toMatchObject({ status: 1, end_time: null })
    expect(readdirSync(join(mlruns, '0')).sort()).toEqual([a.id, b.id, 'meta.yaml'].sort())
  })

  it('LLM_NO_LOG: no database row, MLflow still written', () => {
    const home = join(dir, 'off')
    const r = startRun({ kind: 'eval', name: 'quiet', params: {}, signature: { data: [], versions: {} }, mlflow: mlruns, env: { LLM_HOME: home, LLM_NO_LOG: '1' } })
    r.logMetric(0, 'acc', 0.5)
    r.finish('FINISHED')
    expect(existsSync(join(home, 'llm.sqlite'))).toBe(false)
    expect(readFileSync(join(r.mlflowDir!, 'metrics', 'acc'), 'utf8')).toMatch(/^\d+ 0\.5 0\n$/)
  })
})
