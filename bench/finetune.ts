/**
 * Fine-tuning benchmark (`npm run bench:finetune`): on one base (a ~12M-parameter Llama, random
 * weights: hidden 384, 6 layers, 6 heads / 2 KV heads, MLP 1024, vocab 8192, tied), batch 4 × 256
 * tokens of pre-tokenized rows,
 *   - `llm finetune --method lora` (q_proj,v_proj, r 8) vs `--method full`: step time (from the
 *     run's metrics.jsonl, first two steps left out) and peak RSS of the whole process (GNU time);
 *   - LoRA step time against PyTorch (bench/torch_lora.py: lora_reference.py's formulation,
 *     W + scaling·B@A, frozen base, AdamW over A/B) at the same thread count, 1 and 2 threads.
 * Alternates ours and PyTorch per thread count; prints JSON lines and a Markdown table.
 *
 *   npm run bench:finetune -- [--steps 10] [--threads 1,2]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeSafetensors, type SafeTensor } from '../src/core/safetensors.js'
import { initParams, newLlamaConfigJson, paramSpecs, readModelConfig } from '../src/kernels/model/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : dflt
}
const steps = Number(arg('steps', '10'))
const threadList = arg('threads', '1,2').split(',').map(Number)
const shape = { vocab: 8192, dim: 384, hidden: 1024, layers: 6, heads: 6, kvHeads: 2, seq: 256, batch: 4, r: 8 }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function makeBase(dir: string): number {
  const configJson = newLlamaConfigJson({ vocabSize: shape.vocab, hiddenSize: shape.dim, intermediateSize: shape.hidden, numLayers: shape.layers,
    numHeads: shape.heads, numKvHeads: shape.kvHeads, maxPositionEmbeddings: 512, tieWordEmbeddings: true })
  const c = readModelConfig(configJson)
  const w = initParams(c, 1)
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson))
  writeSafetensors(join(dir, 'model.safetensors'), new Map(paramSpecs(c).map((s): [string, SafeTensor] => [s.name, { dtype: 'F32', shape: s.shape, data: w.get(s.name)! }])))
  const lines: string[] = []
  let x = 12345
  for (let i = 0; i < 64; i++) {
    const ids = Array.from({ length: shape.seq }, () => ((x = (x * 1103515245 + 12345) % 2147483648), x % shape.vocab))
    lines.push(JSON.stringify({ input_ids: ids, labels: ids.map((id, t) => (t < shape.seq / 4 ? -100 : id)) }))
  }
  writeFileSync(join(dir, 'data.jsonl'), lines.join('\n') + '\n')
  return paramSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
}

function ours(dir: string, method: 'lora' | 'full', threads: number): { ms: number; rssMb: number } {
  const out = join(dir, `run-${method}-${threads}`)
  rmSync(out, { recursive: true, force: true })
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS %M', process.execPath, join(root, 'bin/run.js'), 'finetune', '--model', dir, '--data', join(dir, 'data.jsonl'),
    '--format', 'tokenized', '--method', method, ...(method === 'lora' ? ['--lora-r', String(shape.r)] : []), '--steps', String(steps + 2), '--batch-size', String(shape.batch),
    '--seq-len', String(shape.seq), '--val-fraction', '0', '--eval-every', '0', '--checkpoint-every', '0', '--threads', String(threads),
    '--progress', 'none', '--out', out], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', LLM_NO_LOG: '1' } })
  if (r.status !== 0) throw new Error(`llm finetune failed: ${r.stderr}`)
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; tokens_per_second: number })
  const ms = median(rows.filter((m) => m.step > 2).map((m) => (shape.batch * shape.seq * 1000) / m.tokens_per_second))
  const rss = Number(/RSS (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024
  return { ms, rssMb: rss }
}

function torch(threads: number): { ms: number; rssMb: number; blas: string } | { error: string } {
  const openblas = '/usr/lib/x86_64-linux-gnu/openblas-pthread'
  const r = spawnSync('/usr/bin/python3', [join(root, 'bench/torch_lora.py'), '--vocab', String(shape.vocab), '--dim', String(shape.dim), '--hidden', String(shape.hidden),
    '--layers', String(shape.layers), '--heads', String(shape.heads), '--kv-heads', String(shape.kvHeads), '--seq', String(shape.seq), '--batch', String(shape.batch),
    '--r', String(shape.r), '--steps', String(steps), '--threads', String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), ...(existsSync(openblas) ? { LD_LIBRARY_PATH: openblas } : {}) },
  })
  if (r.status !== 0) return { error: (r.stderr || 'python failed').trim().split('\n').pop()! }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { median_ms: number; peak_rss_mb: number; blas: string[] }
  return { ms: j.median_ms, rssMb: j.peak_rss_mb, blas: j.blas.join(' ') }
}

const dir = mkdtempSync(join(tmpdir(), 'llm-bench-finetune-'))
try {
  const params = makeBase(dir)
  const rows: string[] = []
  for (const threads of threadList) {
    const lora = ours(dir, 'lora', threads)
    const t = torch(threads)
    const full = ours(dir, 'full', threads)
    const row = { threads, params, lora_ms: +lora.ms.toFixed(1), lora_rss_mb: +lora.rssMb.toFixed(0), full_ms: +full.ms.toFixed(1), full_rss_mb: +full.rssMb.toFixed(0),
      ...('error' in t ? { torch_error: t.error } : { torch_lora_ms: t.ms, torch_rss_mb: t.rssMb, torch_blas: t.blas, ours_over_torch: +(lora.ms / t.ms).toFixed(2) }) }
    console.log(JSON.stringify(row))
    const vs = 'error' in t ? { ms: 'n/a', ratio: 'n/a', rss: 'n/a' } : { ms: String(t.ms), ratio: (lora.ms / t.ms).toFixed(2), rss: t.rssMb.toFixed(0) }
    rows.push(`| ${threads} | ${row.lora_ms} | ${vs.ms} | ${vs.ratio} | ${row.full_ms} | ${row.lora_rss_mb} | ${row.full_rss_mb} | ${vs.rss} |`)
  }
  console.log(`\n${(params / 1e6).toFixed(1)}M-parameter base, batch ${shape.batch} × ${shape.seq}, LoRA r ${shape.r} on q_proj,v_proj\n`)
  console.log('| threads | ours LoRA ms/step | PyTorch LoRA ms/step | ours/PyTorch | ours full ms/step | ours LoRA peak RSS MB | ours full peak RSS MB | PyTorch LoRA peak RSS MB |\n|---|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
