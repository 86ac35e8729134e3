/**
 * Train benchmark: milliseconds per optimisation step of `llm pretrain`'s loop (our ONNX training
 * engine, data sampler included) against PyTorch (bench/torch_train.py: the same model, batch,
 * clipping and AdamW) at the SAME thread count, at two sizes:
 *   shakespeare — nanoGPT's shakespeare-char CPU recipe: 4 layers, 4 heads, dim 128, seq 64,
 *                 batch 12, vocab 65, tied embeddings (what scripts/recipe-shakespeare-char.sh trains)
 *   12m         — ~12.9M parameters: 4 layers, 8 heads, dim 512, seq 128, batch 8, vocab 512
 * MFU = 6 · N · tokens-per-step / step time / peak, N = all parameters; peak (FP32, per thread) is
 * --peak-gflops (default 118: 32 FLOP/cycle — two 256-bit FMA pipes — at ~3.7 GHz boost; this
 * machine's onnxruntime MatMul measured ~105 GFLOP/s on one thread). Say which you assumed.
 *
 * PyTorch on Debian links the reference BLAS unless OpenBLAS is installed (libopenblas0-pthread);
 * --blas-dir puts an OpenBLAS libblas.so.3 first on its library path (default: Debian's
 * openblas-pthread folder when it exists). The BLAS torch really loaded is printed.
 *
 *   npm run bench:train -- [--threads 1] [--steps 20] [--preset shakespeare|12m|all] [--peak-gflops 118] [--blas-dir DIR]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeTokenFile } from '../src/core/data/tokens-file.js'
import { onnxEngine } from '../src/core/train/engine.js'
import { runJob } from '../src/core/train/loop.js'
import { resolveOptions } from '../src/core/train/options.js'
import { pretrainJob } from '../src/core/train/pretrain.js'

interface Preset { vocab: number; dim: number; hidden: number; layers: number; heads: number; seq: number; batch: number; tie: boolean }
const PRESETS: Record<string, Preset> = {
  shakespeare: { vocab: 65, dim: 128, hidden: 352, layers: 4, heads: 4, seq: 64, batch: 12, tie: true },
  '12m': { vocab: 512, dim: 512, hidden: 1376, layers: 4, heads: 8, seq: 128, batch: 8, tie: false },
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function ours(p: Preset, steps: number, threads: number): Promise<{ ms: number; params: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'llm-bench-train-'))
  try {
    const data = join(dir, 'tokens.bin')
    let x = 12345
    const tokens = Array.from({ length: p.batch * p.seq * 8 + 1 }, () => ((x = (x * 1103515245 + 12345) % 2147483648), x % p.vocab))
    tokens[0] = p.vocab - 1 // the vocabulary comes from the largest id
    writeFileSync(data, encodeTokenFile(tokens))
    const options = resolveOptions({}, {
      data: [data], out: join(dir, 'run'), layers: p.layers, dim: p.dim, heads: p.heads, hidden: p.hidden, seqLen: p.seq,
      batchSize: p.batch, tie: p.tie, steps: steps + 2, valFraction: 0, checkpointEvery: 0, evalEvery: 0, threads, order: 'sequential',
    })
    const stepMs: number[] = []
    const job = await pretrainJob(options, false, {})
    const params = job.trainable.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
    await runJob(job, onnxEngine(), {
      log: () => {},
      step: (m) => { if (m.step > 2) stepMs.push((p.batch * p.seq * 1000) / m.tokens_per_second) }, // first steps warm up
      shouldStop: () => false,
    })
    return { ms: median(stepMs), params }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function torch(p: Preset, steps: number, threads: number, blasDir?: string): { ms: number; params: number; blas: string[] } | { error: string } {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/torch_train.py')
  const r = spawnSync('/usr/bin/python3', [script, '--vocab', String(p.vocab), '--dim', String(p.dim), '--hidden', String(p.hidden),
    '--layers', String(p.layers), '--heads', String(p.heads), '--kv-heads', String(p.heads), '--seq', String(p.seq),
    '--batch', String(p.batch), '--steps', String(steps), '--threads', String(threads), ...(p.tie ? ['--tie'] : [])], {
    encoding: 'utf8',
    env: {
      ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads),
      ...(blasDir ? { LD_LIBRARY_PATH: [blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
    },
  })
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python failed').trim().split('\n').pop()! }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { median_ms: number; params: number; blas: string[] }
  return { ms: j.median_ms, params: j.params, blas: j.blas }
}

async function main(): Promise<void> {
  const threads = Number(arg('threads', '1'))
  const steps = Number(arg('steps', '20'))
  const peak = Number(arg('peak-gflops', '118')) * threads * 1e9
  const which = arg('preset', 'all')
  const debianOpenblas = '/usr/lib/x86_64-linux-gnu/openblas-pthread'
  const blasDir = arg('blas-dir', process.env.LLM_BENCH_BLAS_DIR ?? (existsSync(debianOpenblas) ? debianOpenblas : ''))
  const names = which === 'all' ? Object.keys(PRESETS) : [which]
  const rows: Record<string, unknown>[] = []
  for (const name of names) {
    const p = PRESETS[name]
    if (!p) throw new Error(`unknown preset ${name}; one of ${Object.keys(PRESETS).join(', ')}`)
    const a = await ours(p, steps, threads)
    const b = torch(p, steps, threads, blasDir || undefined)
    const tokens = p.batch * p.seq
    const mfu = (ms: number, n: number) => +((6 * n * tokens) / (ms / 1000) / peak * 100).toFixed(1)
    const row: Record<string, unknown> = { preset: name, params: a.params, tokens_per_step: tokens, threads, ours_ms: +a.ms.toFixed(1), ours_mfu_pct: mfu(a.ms, a.params) }
    if ('error' in b) row.torch_error = b.error
    else Object.assign(row, { torch_blas: b.blas.join(' '), torch_ms: b.ms, torch_mfu_pct: mfu(b.ms, b.params), ratio_ours_over_torch: +(a.ms / b.ms).toFixed(2) })
    rows.push(row)
    console.log(JSON.stringify(row))
  }
  console.log(`\n| preset | params | threads | ours ms/step | PyTorch ms/step | ours/PyTorch | MFU ours | MFU PyTorch |\n|---|---|---|---|---|---|---|---|`)
  for (const r of rows) {
    console.log(`| ${r.preset} | ${((r.params as number) / 1e6).toFixed(2)}M | ${r.threads} | ${r.ours_ms} | ${r.torch_ms ?? 'n/a'} | ${r.ratio_ours_over_torch ?? 'n/a'} | ${r.ours_mfu_pct}% | ${r.torch_mfu_pct ?? 'n/a'}% |`)
  }
  console.log(`\npeak assumed: ${peak / 1e9} GFLOP/s FP32 (${threads} thread(s) × ${peak / 1e9 / threads}); FLOPs/step = 6 · params · tokens`)
}

main().catch((e) => { console.error(e); process.exit(1) })
