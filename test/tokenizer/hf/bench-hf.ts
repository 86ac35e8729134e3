/**
 * Throughput of HfTokenizer against the official Rust `tokenizers` binding and transformers.js on
 * the real tokenizer.json files (not a test; run: `npx tsx test/tokenizer/hf/bench-hf.ts [MB]`).
 * Single thread, warm caches after one untimed pass; MB/s of UTF-8 input.
 */
import { readFileSync } from 'node:fs'
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { loadHfTokenizer } from '../../../src/tokenizer/hf/index.js'
import { shared } from '../../helpers.js'

const mb = Number(process.argv[2] ?? 2)
const corpus = [readFileSync(shared('data/instruct/wiki_demo.txt'), 'utf8'), readFileSync(shared('data/tinyshakespeare/input.txt'), 'utf8')].join('\n')
// ~4 KB documents, like a training-data pipeline sees
const docs: string[] = []
let bytes = 0
for (let i = 0; bytes < mb * 1e6; i = (i + 4096) % (corpus.length - 4096)) {
  const d = corpus.slice(i, i + 4096)
  docs.push(d)
  bytes += Buffer.byteLength(d)
}

async function time(label: string, f: () => unknown | Promise<unknown>): Promise<void> {
  await f()
  const t0 = performance.now()
  await f()
  const s = (performance.now() - t0) / 1000
  console.log(`${label.padEnd(44)} ${(bytes / 1e6 / s).toFixed(2).padStart(7)} MB/s`)
}

const { AutoTokenizer } = await import('@huggingface/transformers').catch(() => ({ AutoTokenizer: undefined }))
for (const name of ['ortgenai-tiny-random-gpt2-fp32', 'ortgenai-tiny-random-llama-fp16']) {
  const file = shared('models', name, 'tokenizer.json')
  const ours = loadHfTokenizer(file)
  const ref = RefTokenizer.fromFile(file)
  console.log(`${name}: ${(bytes / 1e6).toFixed(1)} MB in ${docs.length} docs`)
  let ids: number[][] = []
  await time('  ours encode', () => { ids = docs.map((d) => ours.encode(d)) })
  await time('  ours decode', () => ids.map((x) => ours.decode(x)))
  await time('  tokenizers (Rust, encodeBatch) encode', () => ref.encodeBatch(docs, { addSpecialTokens: false }))
  await time('  tokenizers (Rust, sequential) encode', async () => { for (const d of docs) await ref.encode(d, null, { addSpecialTokens: false }) })
  await time('  tokenizers (Rust, decodeBatch) decode', () => ref.decodeBatch(ids, false))
  if (AutoTokenizer) {
    const tj = await AutoTokenizer.from_pretrained(shared('models', name), { local_files_only: true }).catch(() => undefined)
    if (tj) {
      await time('  transformers.js encode', () => docs.map((d) => tj.encode(d, { add_special_tokens: false })))
      await time('  transformers.js decode', () => ids.map((x) => tj.decode(x)))
    }
  }
}
