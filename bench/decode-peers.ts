/**
 * The peers of `llm generate`, each as the one process a user would run (child of bench/decode.ts):
 *   node dist/bench/decode-peers.js llamacpp FILE.gguf N THREADS PROMPT_IDS_JSON
 *   node dist/bench/decode-peers.js tjs DIR DTYPE N THREADS PROMPT_IDS_JSON
 * Both decode greedily from the same prompt ids and print one JSON line:
 *   { generated, prefill_ms, decode_ms } (their own clocks, as `llm generate --json` reports its own).
 */
import { basename, dirname } from 'node:path'
import { performance } from 'node:perf_hooks'

async function llamaCpp(file: string, n: number, threads: number, prompt: number[]): Promise<object> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp')
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  const model = await llama.loadModel({ modelPath: file })
  const ctx = await model.createContext({ contextSize: 1024, threads, batchSize: 512 })
  const t0 = performance.now()
  let first = 0, k = 0
  type Tok = Parameters<ReturnType<typeof ctx.getSequence>['evaluate']>[0][number]
  for await (const _ of ctx.getSequence().evaluate(prompt as unknown as Tok[], { temperature: 0 })) {
    if (k === 0) first = performance.now()
    if (++k >= n) break
  }
  const end = performance.now()
  return { generated: k, prefill_ms: first - t0, decode_ms: end - first }
}

async function transformersJs(dir: string, dtype: string, n: number, threads: number, prompt: number[]): Promise<object> {
  const tjs = await import('@huggingface/transformers')
  tjs.env.allowRemoteModels = false
  tjs.env.localModelPath = dirname(dir) + '/'
  const model = await tjs.AutoModelForCausalLM.from_pretrained(basename(dir), {
    dtype: dtype as 'fp32', device: 'cpu', local_files_only: true, session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  })
  const input = new tjs.Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length])
  // prefill = generate(1); decode from the difference, as for the other engines
  let t0 = performance.now()
  await model.generate({ input_ids: input, max_new_tokens: 1, do_sample: false })
  const prefill = performance.now() - t0
  t0 = performance.now()
  const out = (await model.generate({ input_ids: input, max_new_tokens: n, do_sample: false })) as { dims: number[] }
  const total = performance.now() - t0
  return { generated: out.dims[1]! - prompt.length, prefill_ms: prefill, decode_ms: total - prefill }
}

const [mode, ...a] = process.argv.slice(2)
const r = mode === 'llamacpp'
  ? await llamaCpp(a[0]!, Number(a[1]), Number(a[2]), JSON.parse(a[3]!) as number[])
  : await transformersJs(a[0]!, a[1]!, Number(a[2]), Number(a[3]), JSON.parse(a[4]!) as number[])
process.stdout.write(JSON.stringify(r) + '\n')
