/**
 * The results file (lm-evaluation-harness-like), --log-samples lines, --fail-under gates, the
 * summary table and `--compare`.
 *
 * Results JSON: { results: {TASK: {"acc,none", "acc_stderr,none", …, alias}}, config, "n-samples":
 * {TASK: {original, effective}}, versions, model_hash, data_hash, date, start_time, end_time,
 * total_evaluation_time_seconds, signatures, per_sample }. `per_sample` is our addition: what
 * each metric needs per item (see aggregate.ts), so two results files can be compared with a
 * paired bootstrap without the (much larger) --log-samples files.
 */
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync } from 'node:fs'
import { LlmError, usageError, fileError } from '../errors.js'
import { LOWER_IS_BETTER, statistic, type PerSample, type TaskResult } from './aggregate.js'
import { pairedBootstrap, type BootstrapResult } from './metrics/stats.js'
import { readJson } from '../json.js'

const RESULTS_VERSION = 1

export function sha256File(file: string): string {
  const h = createHash('sha256')
  let fd: number
  try { fd = openSync(file, 'r') } catch (err) { throw fileError(file, err) }
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      h.update(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return h.digest('hex')
}

export interface RunConfig {
  model: string
  model_file: string
  batch_size: number
  num_fewshot: number
  limit: number | null
  seed: number
  max_length: number
  device: string
}

export interface ResultsFile {
  results: Record<string, Record<string, number | string | null>>
  config: RunConfig & { task_source: string; task_type: string }
  'n-samples': Record<string, { original: number; effective: number }>
  versions: Record<string, number | string>
  model_hash: string
  data_hash: string
  date: number
  start_time: string
  end_time: string
  total_evaluation_time_seconds: string
  signatures: Record<string, string>
  higher_is_better: Record<string, Record<string, boolean>>
  per_sample: Record<string, PerSample>
}

export function buildResults(r: TaskResult, config: RunConfig, start: Date, end: Date, llmVersion: string): ResultsFile {
  const name = r.task.name
  const res: Record<string, number | string | null> = { alias: name }
  for (const [m, v] of Object.entries(r.metrics)) {
    res[`${m},none`] = v.value
    res[`${m}_stderr,none`] = v.stderr ?? 'N/A'
  }
  return {
    results: { [name]: res },
    config: { ...config, task_source: r.task.source, task_type: r.task.type },
    'n-samples': { [name]: { original: r.nOriginal, effective: r.nEffective } },
    versions: { [name]: RESULTS_VERSION, llm: llmVersion },
    model_hash: sha256File(config.model_file),
    data_hash: sha256File(r.task.data),
    date: start.getTime() / 1000,
    start_time: start.toISOString(),
    end_time: end.toISOString(),
    total_evaluation_time_seconds: String((end.getTime() - start.getTime()) / 1000),
    signatures: r.signatures,
    higher_is_better: { [name]: Object.fromEntries(Object.entries(r.metrics).map(([m, v]) => [m, v.higherIsBetter])) },
    per_sample: { [name]: r.perSample },
  }
}

/** One JSON line per item: {doc_id, arguments, loglikelihoods, prediction, gold, correct, …}. */
export function sampleLines(r: TaskResult): string {
  return r.samples.map((s) => JSON.stringify({
    doc_id: s.doc_id, arguments: s.arguments, loglikelihoods: s.loglikelihoods,
    prediction: s.prediction ?? null, ...(s.prediction_norm !== undefined ? { prediction_norm: s.prediction_norm } : {}),
    gold: s.gold ?? s.references ?? null, correct: s.correct ?? null,
    ...(s.is_greedy !== undefined ? { is_greedy: s.is_greedy } : {}),
    ...(s.tokens !== undefined ? { tokens: s.tokens, words: s.words, bytes: s.bytes } : {}),
    metrics: s.metrics,
  }) + '\n').join('')
}

export interface Gate { metric: string; threshold: number }

/** "acc=0.3" → {metric, threshold}; checked against the task's metrics before anything runs. */
export function parseGate(text: string, available: readonly string[]): Gate {
  const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(text.trim())
  const threshold = m ? Number(m[2]) : NaN
  if (!m || m[2]!.trim() === '' || !Number.isFinite(threshold)) throw usageError(`expected METRIC=VALUE, got '${text}'`, { where: '--fail-under' })
  if (!available.includes(m[1]!)) throw usageError(`this task has no metric '${m[1]}'`, { where: '--fail-under', hint: `metrics: ${available.join(', ')}` })
  return { metric: m[1]!, threshold }
}

/** Failed gates as lines; higher-is-better metrics fail below VALUE, lower-is-better above it. */
export function checkGates(r: TaskResult, gates: readonly Gate[]): string[] {
  const failures: string[] = []
  for (const g of gates) {
    const v = r.metrics[g.metric]
    if (!v) { failures.push(`${g.metric}: not computed`); continue }
    const lower = LOWER_IS_BETTER.has(g.metric)
    if (lower ? v.value > g.threshold : v.value < g.threshold) {
      failures.push(`${r.task.name} ${g.metric} = ${fmt(v.value)} is ${lower ? 'above' : 'below'} the gate ${g.threshold}${lower ? ' (lower is better)' : ''}`)
    }
  }
  return failures
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 1000 ? x.toFixed(1) : x.toFixed(4))

/** A plain text table: task, metric, value, ± stderr. */
export function summaryTable(r: TaskResult): string {
  const rows = [['Task', 'Metric', 'Value', '', 'Stderr'], ...Object.entries(r.metrics).map(([m, v]) => [r.task.name, m + (v.higherIsBetter ? ' ↑' : ' ↓'), fmt(v.value), '±', v.stderr === null ? 'N/A' : fmt(v.stderr)])]
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]): string => '| ' + row.map((cell, c) => (c === 2 || c === 4 ? cell.padStart(w[c]!) : cell.padEnd(w[c]!))).join(' | ') + ' |'
  const sep = '|' + w.map((n, c) => (c === 2 || c === 4 ? '-'.repeat(n + 1) + ':' : '-'.repeat(n + 2))).join('|') + '|'
  const sigs = Object.entries(r.signatures).map(([m, s]) => `${m} signature: ${s}`)
  return [line(rows[0]!), sep, ...rows.slice(1).map(line), ...sigs].join('\n') + '\n'
}

export function readResults(file: string): ResultsFile {
  const r = readJson(file) as ResultsFile
  if (typeof r !== 'object' || r === null || typeof r.results !== 'object' || typeof r.per_sample !== 'object') {
    throw new LlmError('not an llm eval results file (no results / per_sample)', { where: file, hint: 'write one with llm eval … --output FILE' })
  }
  return r
}

export interface Comparison { task: string; metric: string; a: number; b: number; ci: BootstrapResult; higherIsBetter: boolean }

/** Paired bootstrap of every metric the two runs share, item by item (same doc_ids required). */
export function compareResults(a: ResultsFile, b: ResultsFile, fileA: string, fileB: string, opts: { resamples?: number; seed?: number } = {}): Comparison[] {
  const out: Comparison[] = []
  const tasks = Object.keys(a.per_sample).filter((t) => t in b.per_sample)
  if (tasks.length === 0) throw usageError('the two results files share no task', { where: fileB })
  for (const t of tasks) {
    const pa = a.per_sample[t]!
    const pb = b.per_sample[t]!
    if (pa.doc_id.length !== pb.doc_id.length || pa.doc_id.some((d, i) => d !== pb.doc_id[i])) {
      throw usageError(`task ${t}: the runs scored different items (${pa.doc_id.length} vs ${pb.doc_id.length})`, { where: fileB, hint: 'compare runs made with the same --limit and data' })
    }
    const metrics = Object.keys(a.results[t] ?? {}).filter((k) => k.endsWith(',none') && !k.includes('_stderr')).map((k) => k.slice(0, -5))
      .filter((m) => `${m},none` in (b.results[t] ?? {}))
    for (const m of metrics) {
      const ci = pairedBootstrap(pa.doc_id.length, (idx) => statistic(m, pa, idx), (idx) => statistic(m, pb, idx), opts)
      out.push({ task: t, metric: m, a: statistic(m, pa, Int32Array.from(pa.doc_id.keys())), b: statistic(m, pb, Int32Array.from(pb.doc_id.keys())), ci, higherIsBetter: !LOWER_IS_BETTER.has(m) })
    }
  }
  return out
}

export function comparisonTable(rows: readonly Comparison[]): string {
  const lines = rows.map((r) => {
    const sig = r.ci.low > 0 || r.ci.high < 0
    const better = r.ci.delta === 0 ? '' : (r.ci.delta > 0) === r.higherIsBetter ? 'b better' : 'a better'
    return `${r.task}  ${r.metric}: a ${fmt(r.a)}  b ${fmt(r.b)}  Δ ${r.ci.delta >= 0 ? '+' : ''}${fmt(r.ci.delta)}  ${Math.round(r.ci.level * 100)}% CI [${fmt(r.ci.low)}, ${fmt(r.ci.high)}]${sig ? `  significant (${better})` : '  not significant'}`
  })
  return lines.join('\n') + '\n'
}
