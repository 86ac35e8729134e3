/**
 * Serving benchmark: `llm serve` as a user runs it (a separate process on loopback) under 1, 4
 * and 16 concurrent clients, against a peer on the same weights and the same load.
 *
 *   npm run bench:serve [-- --requests 48 --max-tokens 64 --reps 2 --parallel 1 --model DIR]
 *
 * Load: each client sends POST /v1/completions one after another (greedy, `max_tokens` new
 * tokens, prompts from a fixed list) until the round's `requests` are done. Reported per server
 * and concurrency: requests/s and completion tokens/s over the round's wall time, p50 and p99
 * of per-request latency (request sent → whole JSON body received).
 * Peer: transformers.js 4.3.1 (same onnxruntime-node 1.30, same model folder) behind a minimal
 * node:http wrapper that answers the same route from `model.generate` one request at a time
 * (`--peer-server` mode of this file). llama.cpp's server via node-llama-cpp would be the
 * natural peer, but needs a GGUF of the model, which this repository cannot write yet.
 * Rounds alternate ours / peer (A B A B) so background load falls on both alike; medians of `reps`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..') // dist/bench → repo

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def
}
const MODEL = resolve(arg('model', resolve(root, 'models/default')))
const REQUESTS = Number(arg('requests', '48'))
const MAX_TOKENS = Number(arg('max-tokens', '64'))
const REPS = Number(arg('reps', '2'))
const PARALLEL = arg('parallel', '1,2').split(',')
const CONCURRENCY = arg('concurrency', '1,4,16').split(',').map(Number)
const PROMPTS = ['ROMEO:\n', 'First Citizen:\nBefore we proceed', 'KING HENRY:\nOnce more', 'To be, or not', 'JULIET:\nO Romeo,', 'MENENIUS:\nWhat work', 'Enter', 'HAMLET:\n']

/**
 * Would batching requests together pay? Decode throughput of greedyBatch (B rows per forward,
 * left-padded) against B = 1 on this model, in process, and whether the rows equal the
 * unbatched greedy output.
 */
async function batchProbe(): Promise<void> {
  const { Model } = await import('../src/core/model/load.js')
  const { greedyBatch, generateWithModel } = await import('../src/core/generate/index.js')
  const model = await Model.load(MODEL)
  const ids = PROMPTS.map((p) => model.encodePrompt(p))
  const single: number[][] = []
  for (const p of ids) single.push((await generateWithModel(model, { ids: p }, { maxTokens: MAX_TOKENS, sampling: { temperature: 0 } })).ids)
  console.log(`batching probe (greedyBatch, ${MAX_TOKENS} tokens per row, median of ${REPS + 1}):`)
  let base = 0
  for (const B of [1, 4, 8]) {
    const rows = Array.from({ length: B }, (_, i) => ids[i % ids.length]!)
    const times: number[] = []
    let same = 0
    for (let r = 0; r < REPS + 1; r++) {
      const t = performance.now()
      const out = await greedyBatch(model.decoder, rows, { maxLength: Math.max(...rows.map((x) => x.length)) + MAX_TOKENS, padId: 0 })
      times.push(performance.now() - t)
      if (r === 0) out.forEach((row, i) => { if (row.slice(row.length - MAX_TOKENS).join() === single[i % ids.length]!.join()) same++ })
    }
    const tps = (B * MAX_TOKENS) / (median(times) / 1000)
    if (B === 1) base = tps
    console.log(`  B=${B}: ${Math.round(tps)} tokens/s (${(tps / base).toFixed(2)}x B=1), rows equal to unbatched greedy: ${same}/${B}`)
  }
  await model.release()
}

/** --peer-server: transformers.js behind a minimal OpenAI-style /v1/completions */
async function peerServer(): Promise<void> {
  const tjs = await import('@huggingface/transformers')
  tjs.env.allowRemoteModels = false
  tjs.env.localModelPath = dirname(MODEL) + '/'
  const tokenizer = await tjs.AutoTokenizer.from_pretrained(basename(MODEL), { local_files_only: true })
  const model = await tjs.AutoModelForCausalLM.from_pretrained(basename(MODEL), { dtype: 'fp32', device: 'cpu', local_files_only: true })
  let queue: Promise<unknown> = Promise.resolve()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      queue = queue.then(async () => {
        const { prompt, max_tokens } = JSON.parse(body) as { prompt: string; max_tokens: number }
        const inputs = tokenizer(prompt) as { input_ids: { dims: number[] } }
        const out = (await model.generate({ ...inputs, max_new_tokens: max_tokens, do_sample: false })) as { dims: number[]; tolist(): bigint[][] }
        const promptLen = inputs.input_ids.dims[1]!
        const ids = out.tolist()[0]!.slice(promptLen).map(Number)
        const text = tokenizer.decode(ids, { skip_special_tokens: true })
        const json = JSON.stringify({ choices: [{ index: 0, text, finish_reason: 'length' }], usage: { prompt_tokens: promptLen, completion_tokens: ids.length, total_tokens: promptLen + ids.length } })
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(json)
      }).catch((err: Error) => { res.writeHead(500); res.end(err.message) })
    })
  })
  server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number }
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${a.port}` }) + '\n')
  })
}

interface Server { name: string; url: string; proc: ChildProcess }

function start(name: string, cmd: string[]): Promise<Server> {
  const proc = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production', LLM_NO_LOG: '1' } })
  return new Promise((res, rej) => {
    let out = ''
    proc.stdout!.on('data', (d) => { out += d; const nl = out.indexOf('\n'); if (nl >= 0) res({ name, url: (JSON.parse(out.slice(0, nl)) as { url: string }).url, proc }) })
    proc.on('exit', (c) => rej(new Error(`${name} exited with ${c}`)))
  })
}

interface Round { rps: number; tps: number; p50: number; p99: number; texts: Map<string, string> }

const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! }
const median = (xs: number[]): number => pct(xs, 50)

async function round(s: Server, clients: number): Promise<Round> {
  let next = 0
  let tokens = 0
  const latencies: number[] = []
  const texts = new Map<string, string>()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: clients }, async () => {
    for (;;) {
      const i = next++
      if (i >= REQUESTS) return
      const prompt = PROMPTS[i % PROMPTS.length]!
      const t = performance.now()
      const r = await fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: basename(MODEL), prompt, max_tokens: MAX_TOKENS, temperature: 0 }) })
      const j = (await r.json()) as { choices: { text: string }[]; usage: { completion_tokens: number } }
      latencies.push(performance.now() - t)
      if (!r.ok) throw new Error(`${s.name}: HTTP ${r.status}: ${JSON.stringify(j)}`)
      tokens += j.usage.completion_tokens
      texts.set(prompt, j.choices[0]!.text)
    }
  }))
  const wall = (performance.now() - t0) / 1000
  return { rps: REQUESTS / wall, tps: tokens / wall, p50: pct(latencies, 50), p99: pct(latencies, 99), texts }
}

async function main(): Promise<void> {
  if (process.argv.includes('--peer-server')) return peerServer()
  const self = fileURLToPath(import.meta.url)
  await batchProbe()
  const servers: Server[] = []
  for (const p of PARALLEL) servers.push(await start(`llm serve --parallel ${p}`, [resolve(root, 'bin/run.js'), 'serve', '-m', MODEL, '--port', '0', '--json', '--no-log', '--parallel', p, '--queue', '256']))
  servers.push(await start('transformers.js 4.3.1 + node:http', [self, '--peer-server', '--model', MODEL]))
  try {
    console.log(`model ${MODEL}; ${REQUESTS} requests per round, ${MAX_TOKENS} greedy tokens each, median of ${REPS} rounds alternating servers; node ${process.version}`)
    for (const s of servers) await round(s, 1) // warm-up (first-run allocations)
    const rows: string[] = []
    let agree = 0, compared = 0
    for (const c of CONCURRENCY) {
      const results = new Map<string, Round[]>(servers.map((s) => [s.name, []]))
      for (let rep = 0; rep < REPS; rep++) for (const s of servers) results.get(s.name)!.push(await round(s, c))
      for (const s of servers) {
        const rs = results.get(s.name)!
        rows.push(`| ${c} | ${s.name} | ${median(rs.map((r) => r.rps)).toFixed(1)} | ${Math.round(median(rs.map((r) => r.tps)))} | ${Math.round(median(rs.map((r) => r.p50)))} | ${Math.round(median(rs.map((r) => r.p99)))} |`)
      }
      const first = results.get(servers[0]!.name)![0]!
      for (const s of servers.slice(1)) for (const [p, t] of first.texts) { compared++; if (results.get(s.name)![0]!.texts.get(p) === t) agree++ }
    }
    console.log('\n| clients | server | requests/s | tokens/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|')
    console.log(rows.join('\n'))
    console.log(`\ngreedy texts identical between the servers: ${agree}/${compared}`)
  } finally {
    for (const s of servers) s.proc.kill('SIGTERM')
  }
}

await main()
