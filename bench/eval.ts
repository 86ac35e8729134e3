/**
 * Eval benchmark: HellaSwag items per second (first 200 validation items, 4 endings each = 800
 * log-likelihood requests) for our scorer at several batch sizes, and transformers.js 4.3.1 (same
 * onnxruntime-node 1.30) computing the same log-likelihoods from the same token ids as the peer.
 *
 *   npm run bench:eval [-- --items 200 --reps 3 --threads N --model DIR]
 *
 * Model: stories260K converted by `llm convert` into a temp folder (the real user path).
 * ours = runTask(hellaswag) end to end (tokenization + scoring + metrics), model load excluded.
 * transformers.js = model.forward on the same request ids (our tokenization, done before the
 * clock starts), right-padded batches with an attention mask, float64 log-softmax at the same
 * positions; its log-likelihoods are checked against ours (max |Δ| printed).
 * Median of R repetitions, alternating between the engines so background load hits both alike.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Model } from '../src/core/model/index.js'
import { buildInstances, encodePair, logSoftmaxAt, modelInput, prefixToken, resolveTask, runTask, type LoglikelihoodRequest } from '../src/core/eval/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..') // dist/bench → repo
const sharedDir = resolve(root, '../shared')
const arg = (name: string, def: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : def }
const ITEMS = Number(arg('items', '200'))
const REPS = Number(arg('reps', '3'))
const THREADS = process.argv.includes('--threads') ? Number(arg('threads', '1')) : undefined
const MODEL = process.argv.includes('--model') ? arg('model', '') : undefined
const BATCHES = [1, 8, 32]

function prepareModel(): string {
  if (MODEL) return resolve(MODEL)
  const out = join(mkdtempSync(join(tmpdir(), 'llm-bench-eval-')), 'stories260K')
  const conv = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'convert', join(sharedDir, 'models/stories260K/stories260K.bin'), '--from', 'llama2c',
    '--tokenizer', join(sharedDir, 'models/stories260K/tok512.model'), '--out', out], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } })
  if (conv.status !== 0) throw new Error(`llm convert failed: ${conv.stderr}`)
  return out
}

type TjsModel = { forward(inputs: Record<string, unknown>): Promise<{ logits: { data: Float32Array; dims: number[] } }>; dispose(): Promise<unknown> }

async function loadTjs(dir: string): Promise<{ tjs: typeof import('@huggingface/transformers'); model: TjsModel }> {
  const tjs = await import('@huggingface/transformers')
  tjs.env.allowRemoteModels = false
  tjs.env.localModelPath = dirname(dir) + '/'
  const model = (await tjs.AutoModelForCausalLM.from_pretrained(basename(dir), {
    dtype: 'fp32', device: 'cpu', local_files_only: true,
    ...(THREADS ? { session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 } } : {}),
  })) as unknown as TjsModel
  return { tjs, model }
}

/** The same computation as our scorer, through transformers.js's model.forward. */
async function tjsScore(tjs: typeof import('@huggingface/transformers'), model: TjsModel, reqs: LoglikelihoodRequest[], batch: number): Promise<number[]> {
  const prepared = reqs.map((r) => modelInput(r, 512))
  const order = prepared.map((_, i) => i).sort((a, b) => prepared[b]!.input.length - prepared[a]!.input.length)
  const out = new Array<number>(reqs.length)
  for (let s = 0; s < order.length; s += batch) {
    const rows = order.slice(s, s + batch)
    const S = prepared[rows[0]!]!.input.length
    const ids = new BigInt64Array(rows.length * S)
    const mask = new BigInt64Array(rows.length * S)
    rows.forEach((r, b) => prepared[r]!.input.forEach((t, j) => { ids[b * S + j] = BigInt(t); mask[b * S + j] = 1n }))
    const { logits } = await model.forward({
      input_ids: new tjs.Tensor('int64', ids, [rows.length, S]),
      attention_mask: new tjs.Tensor('int64', mask, [rows.length, S]),
    })
    const V = logits.dims[2]!
    rows.forEach((r, b) => {
      const { input, contLen } = prepared[r]!
      let ll = 0
      for (let k = 0; k < contLen; k++) {
        const p = input.length - contLen + k
        ll += logSoftmaxAt(logits.data.subarray((b * S + p) * V, (b * S + p + 1) * V), reqs[r]!.continuation[k]!).logprob
      }
      out[r] = ll
    })
  }
  return out
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const dir = prepareModel()
  const model = await Model.load(dir, { threads: THREADS })
  const task = resolveTask('hellaswag')
  const inst = buildInstances(task, { limit: ITEMS })
  if (inst.type !== 'multiple_choice') throw new Error('hellaswag is multiple choice')
  const bos = prefixToken(model)
  const reqs = inst.items.flatMap((it) => it.choices.map((c) => encodePair(model, it.context, task.targetDelimiter + c, bos)))
  const { tjs, model: peer } = await loadTjs(dir)

  const ours: Record<number, number[]> = {}
  const theirs: Record<number, number[]> = {}
  let ourLl: number[] = []
  let maxDiff = 0
  for (let rep = 0; rep < REPS; rep++) {
    for (const b of BATCHES) {
      let t = performance.now()
      const r = await runTask(model, task, { limit: ITEMS, batchSize: b })
      ;(ours[b] ??= []).push(performance.now() - t)
      ourLl = r.samples.flatMap((s) => s.loglikelihoods)
      t = performance.now()
      const ll = await tjsScore(tjs, peer, reqs, b)
      ;(theirs[b] ??= []).push(performance.now() - t)
      maxDiff = Math.max(maxDiff, ...ll.map((x, i) => Math.abs(x - ourLl[i]!)))
    }
  }
  console.log(`HellaSwag first ${ITEMS} items (${reqs.length} requests), stories260K via llm convert, threads ${THREADS ?? 'onnxruntime default'}, median of ${REPS}`)
  console.log('| batch | llm (ours) items/s | transformers.js 4.3.1 items/s | ratio |')
  console.log('|---|---|---|---|')
  for (const b of BATCHES) {
    const a = ITEMS / (median(ours[b]!) / 1000)
    const p = ITEMS / (median(theirs[b]!) / 1000)
    console.log(`| ${b} | ${a.toFixed(1)} | ${p.toFixed(1)} | ${(a / p).toFixed(2)}x |`)
  }
  console.log(`max |ours - transformers.js| log-likelihood over ${reqs.length} requests: ${maxDiff.toExponential(2)}`)
  await peer.dispose()
  await model.release()
}

await main()
