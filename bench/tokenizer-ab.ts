/**
 * Before/after for a tokenizer refactor, in one process: every tokenizer kind loaded from two
 * builds (this one, and `--before DIR`, the dist/src/tokenizer folder of another checkout's
 * `npm run build`), encoding the bench corpus in turns (order flipped every rep); median MB/s,
 * the ratio, and whether the ids are equal.
 *
 *   git worktree add /tmp/before <rev> && (cd /tmp/before && ln -s $PWD/node_modules . && npx tsc -p tsconfig.json)
 *   npm run build && node dist/bench/tokenizer-ab.js --before /tmp/before/dist/src/tokenizer [--mb 10 --reps 8]
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCorpus, sharedDir } from './corpus.js'

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}
if (arg('before', '') === '') throw new Error('--before DIR (the dist/src/tokenizer of the build to compare with) is required')
const oldD = resolve(arg('before', ''))
const newD = resolve(dirname(fileURLToPath(import.meta.url)), '../src/tokenizer')
const S = sharedDir
const docs = buildCorpus(Number(arg('mb', '10')))
const small = docs.filter((_, i) => i % 8 === 0).flatMap((d) => Array.from({ length: Math.ceil(d.length / 4096) }, (_, k) => d.slice(k * 4096, k * 4096 + 4096)))
type Tok = { encode(s: string): number[] }
async function make(d: string): Promise<Array<[string, Tok, string[]]>> {
  const tk = await import(`${d}/tiktoken/index.js`); const hf = await import(`${d}/hf/index.js`); const sp = await import(`${d}/sentencepiece/index.js`); const l2 = await import(`${d}/llama2c/index.js`)
  return [
    ['tiktoken cl100k_base', tk.loadTiktokenEncoding('cl100k_base'), docs],
    ['tiktoken o200k_base', tk.loadTiktokenEncoding('o200k_base'), docs],
    ['HF gpt2 (byte-level BPE)', hf.loadHfTokenizer(`${S}/models/ortgenai-tiny-random-gpt2-fp32/tokenizer.json`), docs],
    ['HF llama (SP-BPE, byte fallback)', hf.loadHfTokenizer(`${S}/models/ortgenai-tiny-random-llama-fp16/tokenizer.json`), docs],
    ['SentencePiece tok512.model', sp.loadSentencePieceModel(`${S}/models/stories260K/tok512.model`), small],
    ['llama2.c tok512.bin', l2.loadLlama2cTokenizer(`${S}/models/stories260K/tok512.bin`), small],
  ]
}
const A = await make(oldD), B = await make(newD)
const reps = Number(arg('reps', '8'))
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log('| tokenizer | before MB/s | after MB/s | after / before | ids |\n|---|---|---|---|---|')
for (let k = 0; k < A.length; k++) {
  const [name, a, set] = A[k]!
  const b = B[k]![1]
  const mb = set.reduce((n, d) => n + Buffer.byteLength(d), 0) / 1e6
  const same = set.every((d) => { const x = a.encode(d), y = b.encode(d); return x.length === y.length && x.every((v, i) => v === y[i]) }) // also the warm-up
  const ta: number[] = []
  const tb: number[] = []
  for (let r = 0; r < reps; r++) for (const [t, tok] of (r % 2 ? [[tb, b], [ta, a]] : [[ta, a], [tb, b]]) as Array<[number[], Tok]>) {
    const t0 = performance.now(); for (const d of set) tok.encode(d); t.push(mb / ((performance.now() - t0) / 1000))
  }
  console.log(`| ${name} | ${median(ta).toFixed(2)} | ${median(tb).toFixed(2)} | ${(median(tb) / median(ta)).toFixed(2)}× | ${same ? 'equal' : 'DIFFER'} |`)
}
