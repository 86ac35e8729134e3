/**
 * Decode at real scale (issue 15): `llm generate` as a user runs it (one process per call) beside
 * llama.cpp (node-llama-cpp 3.21.1's prebuilt CPU build, same weights as GGUF) and
 * transformers.js 4.3.1 (same ONNX folder, same onnxruntime-node), alternating A B C A B C.
 *
 *   npm run bench:decode [-- --new 200 --reps 3 --threads 2 --skip-batch --only fp32,fp16,int8,q4,tiny,batch --fresh]
 *
 * 1. single-thread memory read bandwidth (bench/membw.c, when a C compiler is present): the
 *    ceiling for decode is bandwidth / bytes of weights read per token.
 * 2. a 135M Llama with SmolLM2-135M's shape (bench/decode-model.ts, random weights, made once):
 *    fp32 / f16 / int8 (q8_0) / q4 (q4_0). Per engine: the process's wall time for NEW tokens and
 *    for 1 token, and decode tok/s = (NEW − 1) / (wall(NEW) − wall(1)): whole-process per-token
 *    cost, start-up and load cancelled out. Each engine's own decode clock is shown beside it.
 * 3. per-token overhead on a tiny model (stories260K via `llm convert`): the same, with `llm
 *    generate` streaming its text to a pipe (worker-free CLI path: detokenizer, stop checks, stdout).
 * 4. prefill / batched throughput in-process (what eval and serve do): one forward over B rows of
 *    P tokens, ours (runtime/decoder.ts) vs transformers.js' model forward, B = 1, 8, 32.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { makeDecodeModel } from './decode-model.js'
import { convert } from '../src/core/convert/index.js'
import { loadTokenizer } from '../src/tokenizer/load.js'
import { Decoder } from '../src/core/runtime/decoder.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..') // dist/bench → repo
const arg = (name: string, def: string): string => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : def }
const NEW = Number(arg('new', '200'))
const REPS = Number(arg('reps', '3'))
const THREADS = Number(arg('threads', '2'))
const cache = resolve(root, '.llm-cache/bench')
const peers = join(root, 'dist/bench/decode-peers.js')
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
const log = (s: string) => process.stderr.write(s + '\n')

interface RunResult { wall: number; generated: number; decodeMs: number; prefillMs: number }

function runProcess(args: string[], parse: (stdout: string) => { generated: number; decodeMs: number; prefillMs: number }): RunResult {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' } })
  const wall = performance.now() - t0
  if (r.status !== 0) throw new Error(`${args.slice(0, 3).join(' ')} failed: ${r.stderr}`)
  return { wall, ...parse(r.stdout) }
}

const ourJson = (out: string) => {
  const j = JSON.parse(out) as { ids: number[]; timings: { decode_ms: number; prefill_ms: number } }
  return { generated: j.ids.length, decodeMs: j.timings.decode_ms, prefillMs: j.timings.prefill_ms }
}
const peerJson = (out: string) => {
  const j = JSON.parse(out.trim().split('\n').pop()!) as { generated: number; decode_ms: number; prefill_ms: number }
  return { generated: j.generated, decodeMs: j.decode_ms, prefillMs: j.prefill_ms }
}

interface Engine { name: string; run(n: number): RunResult }

function ours(dir: string, dtype: string, prompt: string, stream = false): Engine {
  return {
    name: `llm generate${dtype === 'fp32' ? '' : ` --dtype ${dtype}`}`,
    run: (n) => stream
      ? runProcess([join(root, 'bin/run.js'), 'generate', '-m', dir, '--dtype', dtype, '--threads', String(THREADS), '--temperature', '0', '-n', String(n), prompt], () => ({ generated: n, decodeMs: NaN, prefillMs: NaN }))
      : runProcess([join(root, 'bin/run.js'), 'generate', '-m', dir, '--dtype', dtype, '--threads', String(THREADS), '--temperature', '0', '-n', String(n), '--json', prompt], ourJson),
  }
}
const llamaCpp = (file: string, ids: number[]): Engine => ({
  name: `llama.cpp ${basename(file).split('.').slice(-2)[0]}`,
  run: (n) => runProcess([peers, 'llamacpp', file, String(n), String(THREADS), JSON.stringify(ids)], peerJson),
})
const tjs = (dir: string, dtype: string, ids: number[]): Engine => ({
  name: `transformers.js ${dtype}`,
  run: (n) => runProcess([peers, 'tjs', dir, dtype, String(n), String(THREADS), JSON.stringify(ids)], peerJson),
})

interface Row { group: string; engine: string; wallNew: number; wall1: number; processTps: number; ownTps: number; generated: number }

/** Alternate the engines REPS times at NEW tokens and at 1 token. */
function compare(group: string, engines: Engine[], n: number, reps = REPS): Row[] {
  const res = engines.map(() => ({ big: [] as RunResult[], one: [] as RunResult[] }))
  for (let r = 0; r < reps; r++) {
    engines.forEach((e, i) => { log(`  ${group}: ${e.name} (${r + 1}/${reps})`); res[i]!.big.push(e.run(n)); res[i]!.one.push(e.run(1)) })
  }
  return engines.map((e, i) => {
    const big = res[i]!.big, one = res[i]!.one
    const wallNew = median(big.map((x) => x.wall)), wall1 = median(one.map((x) => x.wall))
    const generated = big[0]!.generated
    const own = median(big.map((x) => (x.generated - 1) / (x.decodeMs / 1000)))
    return { group, engine: e.name, wallNew, wall1, processTps: (generated - 1) / ((wallNew - wall1) / 1000), ownTps: own, generated }
  })
}

function bandwidth(): number | undefined {
  const exe = join(cache, 'membw')
  if (!existsSync(exe)) {
    const cc = spawnSync('cc', ['-O3', '-march=native', join(root, 'bench/membw.c'), '-o', exe], { encoding: 'utf8' })
    if (cc.status !== 0) { log('no C compiler: memory bandwidth not measured'); return undefined }
  }
  const r = spawnSync(exe, { encoding: 'utf8' })
  return (JSON.parse(r.stdout) as { read_gb_per_s: number }).read_gb_per_s
}

async function batched(dir: string, P: number, batches: number[]): Promise<{ B: number; ours: number; tjs: number }[]> {
  const dec = await Decoder.open(join(dir, 'onnx/model.onnx'), { threads: THREADS })
  const t = await import('@huggingface/transformers')
  t.env.allowRemoteModels = false
  t.env.localModelPath = dirname(dir) + '/'
  const model = await t.AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32', device: 'cpu', local_files_only: true, session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 } })
  const rows: { B: number; ours: number; tjs: number }[] = []
  for (const B of batches) {
    const ids = Array.from({ length: B * P }, (_, i) => 300 + ((i * 7919) % 40000))
    const o: number[] = [], h: number[] = []
    const runOurs = async () => {
      const t0 = performance.now()
      await dec.forward({ ids, batch: B, cache: dec.emptyCache(B), logits: 'all' })
      o.push(performance.now() - t0)
    }
    const runTheirs = async () => {
      const input = new t.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [B, P])
      const mask = new t.Tensor('int64', new BigInt64Array(B * P).fill(1n), [B, P])
      const t0 = performance.now()
      await model({ input_ids: input, attention_mask: mask })
      h.push(performance.now() - t0)
    }
    // alternate which engine goes first, so neither always runs on a cache the other warmed
    for (let r = 0; r < REPS; r++) {
      if (r % 2 === 0) { await runOurs(); await runTheirs() } else { await runTheirs(); await runOurs() }
    }
    rows.push({ B, ours: (B * P) / (median(o) / 1000), tjs: (B * P) / (median(h) / 1000) })
    log(`  batch ${B}: ours ${rows.at(-1)!.ours.toFixed(0)} tok/s, transformers.js ${rows.at(-1)!.tjs.toFixed(0)} tok/s`)
  }
  await dec.release()
  await model.dispose()
  return rows
}

mkdirSync(cache, { recursive: true })
const gbs = bandwidth()
log('model: SmolLM2-135M shape (making it once, ~1 min)…')
const m = makeDecodeModel(cache, { fresh: process.argv.includes('--fresh'), log })
const prompt = 'The quick brown fox jumps over the lazy dog. Once upon a time, in a land far away,'
const ids = loadTokenizer(join(m.dir, 'tokenizer.json')).encode(prompt, { addSpecialTokens: true })

const rows: Row[] = []
// --only fp32,int8,…: just those groups (and `batch` for the batched section)
const only = new Set(arg('only', '').split(',').filter(Boolean))
const want = (group: string): boolean => only.size === 0 || only.has(group)
if (want('fp32')) rows.push(...compare('fp32', [ours(m.dir, 'fp32', prompt), llamaCpp(m.gguf.f32, ids), tjs(m.dir, 'fp32', ids)], NEW))
if (want('fp16')) rows.push(...compare('fp16', [llamaCpp(m.gguf.f16, ids)], NEW))
if (want('int8')) rows.push(...compare('int8', [ours(m.dir, 'int8', prompt), llamaCpp(m.gguf.q8_0, ids), tjs(m.dir, 'int8', ids)], NEW))
if (want('q4')) rows.push(...compare('q4', [ours(m.dir, 'q4', prompt), llamaCpp(m.gguf.q4_0, ids), tjs(m.dir, 'q4', ids)], NEW))

if (want('tiny')) {
  // tiny model: stories260K through `llm convert`, text streamed to a pipe
  // converted on every run (well under a second), so the folder always has today's graph
  const stories = join(cache, 'stories260K')
  {
    const s = resolve(root, '../shared/models/stories260K')
    convert({ from: 'llama2c', src: join(s, 'stories260K.bin'), tokenizer: join(s, 'tok512.model'), out: stories, force: true })
  }
  const tinyPrompt = 'Once upon a time'
  const tinyIds = loadTokenizer(join(stories, 'tokenizer.json')).encode(tinyPrompt, { addSpecialTokens: true })
  // under a second a run: start-up jitter (tens of ms) is a large share, so more repetitions
  rows.push(...compare('tiny', [ours(stories, 'fp32', tinyPrompt, true), tjs(stories, 'fp32', tinyIds)], 400, Math.max(REPS, 9)))
}

const bytesPerToken: Record<string, number> = { fp32: 4, fp16: 2, int8: 34 / 32, q4: 18 / 32 }
const params = 134_515_008
const out: string[] = []
out.push(`machine: ${THREADS} threads for every engine, node ${process.version}; ${REPS} alternating repetitions, medians; NEW = ${NEW} tokens (tiny: 400 tokens, ${Math.max(REPS, 9)} repetitions)`)
if (gbs) out.push(`single-thread read bandwidth: ${gbs.toFixed(1)} GB/s (bench/membw.c, best of 6 passes over 1 GiB)`)
if (rows.length) out.push('', '| weights | engine | wall NEW (s) | wall 1 (s) | decode tok/s (whole process) | decode tok/s (own clock) | share of 1-thread bandwidth ceiling |', '|---|---|---:|---:|---:|---:|---:|')
for (const r of rows) {
  const ceiling = gbs && r.group !== 'tiny' ? (gbs * 1e9) / (params * bytesPerToken[r.group]!) : undefined
  out.push(`| ${r.group} | ${r.engine} | ${(r.wallNew / 1000).toFixed(2)} | ${(r.wall1 / 1000).toFixed(2)} | ${r.processTps.toFixed(1)} | ${Number.isNaN(r.ownTps) ? '–' : r.ownTps.toFixed(1)} | ${ceiling ? `${((r.processTps / ceiling) * 100).toFixed(0)}% of ${ceiling.toFixed(0)}` : ''} |`)
}
if (rows.length) out.push('', 'ratios (whole-process decode tok/s, ours / peer):')
for (const g of ['fp32', 'int8', 'q4', 'tiny']) {
  const mine = rows.find((r) => r.group === g && r.engine.startsWith('llm'))
  if (!mine) continue
  for (const p of rows.filter((r) => r.group === g && !r.engine.startsWith('llm'))) out.push(`  ${g}: ${mine.engine} / ${p.engine} = ${(mine.processTps / p.processTps).toFixed(2)}x`)
}
if (!process.argv.includes('--skip-batch') && want('batch')) {
  log('prefill / batched forward (in-process)…')
  const b = await batched(m.dir, 32, [1, 8, 32])
  out.push('', 'prefill / batched forward, fp32, 32 tokens per row, tokens/s (in-process):', '| batch | ours | transformers.js | ratio |', '|---:|---:|---:|---:|')
  for (const r of b) out.push(`| ${r.B} | ${r.ours.toFixed(0)} | ${r.tjs.toFixed(0)} | ${(r.ours / r.tjs).toFixed(2)}x |`)
}
process.stdout.write(out.join('\n') + '\n')
