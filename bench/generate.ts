/**
 * Generation benchmark: prefill and decode tokens/second of our generator against
 * transformers.js (@huggingface/transformers 4.3.1, same onnxruntime-node 1.30) on the same
 * model folder, in one process, plus peak memory (process RSS) of each engine alone.
 *
 *   npm run bench:generate [-- --new 200 --prompt 128 --reps 5 --threads N]
 *
 * Model: stories260K converted by `llm convert` into a temp folder (the real user path); when
 * convert is unavailable it says so and falls back to the independent ONNX in ../shared.
 * Method, identical for both engines, greedy, from the same prompt ids:
 *   prefill t/s = prompt tokens / median time of generate(max_new_tokens = 1)
 *   decode  t/s = (tokens generated - 1) / (median time of generate(N) - median time of generate(1))
 * Timings are wall clock around the engines' public generate calls (tokenizer excluded: ids in);
 * repetitions alternate between the engines so background load hits both alike.
 * Peak RSS: each engine runs alone in a child process (`--only ours|tjs`) and reports
 * process.resourceUsage().maxRSS, so one engine's buffers never count against the other.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { LocalGenerator } from '../src/core/generate/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..') // dist/bench → repo
const sharedDir = resolve(root, '../shared')

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def
}
const NEW = Number(arg('new', '200'))
const PROMPT = Number(arg('prompt', '128'))
const REPS = Number(arg('reps', '5'))
const THREADS = process.argv.includes('--threads') ? Number(arg('threads', '1')) : undefined
const ONLY = arg('only', '')
const MODEL = arg('model', '')

interface Engine { name: string; run(ids: number[], maxNew: number): Promise<number> /* returns tokens generated */; close(): Promise<void> }

async function ours(dir: string): Promise<Engine> {
  const gen = await LocalGenerator.open(dir, { threads: THREADS })
  return {
    name: 'llm (ours)',
    async run(ids, maxNew) {
      const r = await gen.generate({ ids }, { maxTokens: maxNew, sampling: { temperature: 0 } })
      return r.ids.length
    },
    close: () => gen.close(),
  }
}

async function transformersJs(dir: string): Promise<Engine> {
  const tjs = await import('@huggingface/transformers')
  tjs.env.allowRemoteModels = false
  tjs.env.localModelPath = dirname(dir) + '/'
  const model = await tjs.AutoModelForCausalLM.from_pretrained(basename(dir), {
    dtype: 'fp32', device: 'cpu', local_files_only: true,
    ...(THREADS ? { session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 } } : {}),
  })
  return {
    name: 'transformers.js 4.3.1',
    async run(ids, maxNew) {
      const input_ids = new tjs.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length])
      const attention_mask = new tjs.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length])
      const out = (await model.generate({ input_ids, attention_mask, max_new_tokens: maxNew, do_sample: false })) as { dims: number[] }
      return out.dims[1]! - ids.length
    },
    close: async () => { await model.dispose() },
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

interface Measured { prefill: number; decode: number; generated: number }

/**
 * Repetitions interleave the engines (ours, theirs, ours, …) so that load from other processes
 * falls on both alike; medians per engine.
 */
async function measure(engines: Engine[], ids: number[], reps = REPS): Promise<Measured[]> {
  for (const e of engines) await e.run(ids, 4) // warm-up: first runs allocate and pick kernels
  const t1 = engines.map(() => [] as number[])
  const tN = engines.map(() => [] as number[])
  const generated = engines.map(() => 0)
  for (let r = 0; r < reps; r++) {
    for (const [i, e] of engines.entries()) {
      let t = performance.now(); await e.run(ids, 1); t1[i]!.push(performance.now() - t)
      t = performance.now(); generated[i] = await e.run(ids, NEW); tN[i]!.push(performance.now() - t)
    }
  }
  return engines.map((_, i) => {
    const one = median(t1[i]!) / 1000
    const all = median(tN[i]!) / 1000
    return { prefill: ids.length / one, decode: (generated[i]! - 1) / (all - one), generated: generated[i]! }
  })
}

function prepareModel(): { dir: string; how: string } {
  if (MODEL) return { dir: resolve(MODEL), how: `given folder ${MODEL}` }
  const tmp = mkdtempSync(join(tmpdir(), 'llm-bench-gen-'))
  const out = join(tmp, 'stories260K')
  const conv = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'convert', join(sharedDir, 'models/stories260K/stories260K.bin'), '--from', 'llama2c',
    '--tokenizer', join(sharedDir, 'models/stories260K/tok512.model'), '--out', out], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } })
  if (conv.status === 0) return { dir: out, how: 'stories260K converted by `llm convert`' }
  console.log(`llm convert unavailable (${(conv.stderr || conv.stdout).trim().split('\n')[0]}); using ../shared/models/stories260K-onnx instead`)
  const dir = join(tmp, 'stories260K-onnx')
  mkdirSync(join(dir, 'onnx'), { recursive: true })
  symlinkSync(join(sharedDir, 'models/stories260K-onnx/model.onnx'), join(dir, 'onnx/model.onnx'))
  symlinkSync(join(sharedDir, 'models/stories260K/tok512.model'), join(dir, 'tokenizer.model'))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4, hidden_size: 64, vocab_size: 512, max_position_embeddings: 512, eos_token_id: 2, bos_token_id: 1 }))
  return { dir, how: 'shared stories260K-onnx (transformers.js needs a tokenizer.json: it may fail)' }
}

function promptIds(): number[] {
  const g = JSON.parse(readFileSync(join(sharedDir, 'models/stories260K/golden_greedy_200.json'), 'utf8')) as { greedy_token_ids_including_bos: number[] }
  const ids = g.greedy_token_ids_including_bos
  return Array.from({ length: PROMPT }, (_, i) => ids[i % ids.length]!)
}

async function child(): Promise<void> {
  const dir = MODEL
  const e = ONLY === 'ours' ? await ours(dir) : await transformersJs(dir)
  const [m] = await measure([e], promptIds())
  await e.close()
  console.log(JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, ...m }))
}

async function main(): Promise<void> {
  const { dir, how } = prepareModel()
  const ids = promptIds()
  console.log(`model: ${how} (${dir})`)
  console.log(`prompt ${ids.length} tokens, ${NEW} new tokens, greedy, median of ${REPS}, threads ${THREADS ?? 'onnxruntime default'}, node ${process.version}`)
  const engines = [await ours(dir), await transformersJs(dir)]
  const measured = await measure(engines, ids)
  const results: (Measured & { name: string; rss?: number })[] = engines.map((e, i) => ({ name: e.name, ...measured[i]! }))
  for (const e of engines) await e.close()
  // Peak memory of each engine alone, in a fresh process.
  for (const [i, only] of (['ours', 'tjs'] as const).entries()) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--only', only, '--model', dir, '--reps', '1', '--new', String(NEW), '--prompt', String(PROMPT), ...(THREADS ? ['--threads', String(THREADS)] : [])], { encoding: 'utf8' })
    const line = r.stdout.trim().split('\n').pop() ?? ''
    try { results[i]!.rss = (JSON.parse(line) as { maxRssMiB: number }).maxRssMiB } catch { console.log(`peak RSS run for ${only} failed: ${r.stderr.trim().split('\n')[0]}`) }
  }
  const pad = (s: string, n: number): string => s.padEnd(n)
  console.log(`\n${pad('engine', 24)}${pad('prefill tok/s', 16)}${pad('decode tok/s', 16)}${pad('generated', 11)}peak RSS MiB (alone)`)
  for (const r of results) console.log(`${pad(r.name, 24)}${pad(r.prefill.toFixed(0), 16)}${pad(r.decode.toFixed(0), 16)}${pad(String(r.generated), 11)}${r.rss?.toFixed(0) ?? '?'}`)
  const [a, b] = results as [typeof results[0], typeof results[0]]
  console.log(`\nratio ours / transformers.js: prefill ${(a.prefill / b.prefill).toFixed(2)}x, decode ${(a.decode / b.decode).toFixed(2)}x`)
}

await (ONLY ? child() : main())
