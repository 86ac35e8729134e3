/**
 * Translation benchmark: sentences/second of `llm translate`'s translators against transformers.js
 * (@huggingface/transformers 4.3.1, same onnxruntime-node 1.30) on the same model folder.
 *
 *   npm run bench:translate [-- --sentences 48 --reps 3 --threads N --model DIR --source FILE]
 *
 * Folders: two Marian-shaped encoder-decoders built here by our exporter from random weights (the
 * test fixture's size, and a 6+6-layer d256 one), with the Marian tokenizer fixture; plus a
 * decoder-only translator (--model, default models/translate-en-fr when it exists).
 * Sources: the first N lines of --source (default FLORES-200 devtest, English), else built-in sentences.
 * Method, identical for both engines: greedy decoding, max_new_tokens 2·(source tokens)+16 for a
 * batch's longest source, batch 1 (one sentence per call) and batch 8; ours is
 * `Translator.translateBatch(texts)` (tokenization and detokenization included), theirs is
 * `model.generate({input_ids, attention_mask})` on the same ids (its tokenizer cannot read these
 * folders) followed by our decode. Both produce the same ids (checked). Repetitions alternate
 * between the engines; medians.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { writeSafetensors, type SafeTensor } from '../src/core/safetensors.js'
import { normals } from '../src/core/rng.js'
import { marianConfigFromHf, marianWeightShapes } from '../src/kernels/seq2seq/index.js'
import { exportSeq2SeqOnnx } from '../src/core/convert/seq2seq.js'
import { DecoderTranslator, openTranslator, Seq2SeqTranslator, type Translator } from '../src/core/translate/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..') // dist/bench → repo
const arg = (name: string, def: string): string => { const i = process.argv.indexOf(`--${name}`); return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def }
const N = Number(arg('sentences', '48'))
const REPS = Number(arg('reps', '3'))
const THREADS = process.argv.includes('--threads') ? Number(arg('threads', '1')) : undefined
const MODEL = arg('model', join(root, 'models/translate-en-fr'))

const SOURCE = arg('source', '')

function sources(): string[] {
  const flores = SOURCE || resolve(root, '../shared/data/translation/flores200/eng_Latn.devtest')
  const fallback = ['The weather is nice today.', 'Where is the nearest train station?', 'I would like a cup of coffee, please.', 'My brother lives in a small town near the sea.']
  const lines = existsSync(flores) ? readFileSync(flores, 'utf8').split('\n').filter(Boolean) : fallback
  return Array.from({ length: N }, (_, i) => lines[i % lines.length]!)
}

/** seeded normal weights (src/core/rng.ts normals) */
function marianFolder(dir: string, size: { d: number; layers: number; ffn: number; heads: number }): void {
  mkdirSync(dir, { recursive: true })
  const tokDir = join(root, 'test/fixtures/tokenizer/marian')
  const V = Object.keys(JSON.parse(readFileSync(join(tokDir, 'vocab.json'), 'utf8'))).length
  const config: Record<string, unknown> = {
    architectures: ['MarianMTModel'], model_type: 'marian', is_encoder_decoder: true, vocab_size: V, decoder_vocab_size: V, d_model: size.d,
    encoder_layers: size.layers, decoder_layers: size.layers, encoder_attention_heads: size.heads, decoder_attention_heads: size.heads,
    encoder_ffn_dim: size.ffn, decoder_ffn_dim: size.ffn, activation_function: 'swish', max_position_embeddings: 512, scale_embedding: true,
    share_encoder_decoder_embeddings: true, pad_token_id: V - 1, eos_token_id: 0, decoder_start_token_id: V - 1,
  }
  const z = normals(7)
  const normal = (n: number, std: number, mean = 0): Float32Array => Float32Array.from({ length: n }, () => mean + std * z())
  const tensors = new Map<string, SafeTensor>()
  for (const [name, shape] of marianWeightShapes(marianConfigFromHf(config))) {
    const n = shape.reduce((a, b) => a * b, 1)
    tensors.set(name, { dtype: 'F32', shape, data: /layer_norm\.weight$/.test(name) ? normal(n, 0.1, 1) : normal(n, name === 'model.shared.weight' ? 0.05 : 0.1) })
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ decoder_start_token_id: V - 1, eos_token_id: 0, pad_token_id: V - 1, bad_words_ids: [[V - 1]], max_length: 512, num_beams: 1 }))
  writeSafetensors(join(dir, 'model.safetensors'), tensors)
  for (const f of ['source.spm', 'target.spm', 'vocab.json', 'tokenizer_config.json']) copyFileSync(join(tokDir, f), join(dir, f))
  exportSeq2SeqOnnx(dir)
}

/** an engine translates a batch with one new-token limit and returns the texts */
interface Engine { name: string; run(texts: string[], maxNew: number): Promise<string[]>; close(): Promise<void> }

async function oursEngine(dir: string): Promise<{ engine: Engine; t: Translator }> {
  const t = await openTranslator(dir, { threads: THREADS, decode: { numBeams: 1 } })
  return {
    t,
    engine: {
      name: 'llm (ours)',
      async run(texts, maxNew) {
        return (await t.translateBatch(texts, { maxNewTokens: maxNew })).map((o) => o.text)
      },
      close: () => t.close(),
    },
  }
}

async function tjsEngine(dir: string, ours: Translator): Promise<Engine> {
  const tjs = await import('@huggingface/transformers')
  tjs.env.allowRemoteModels = false
  tjs.env.localModelPath = dirname(dir) + '/'
  const seq2seq = ours instanceof Seq2SeqTranslator
  const opts = { local_files_only: true, dtype: 'fp32' as const, ...(THREADS ? { session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 } } : {}) }
  const model = seq2seq ? await tjs.AutoModelForSeq2SeqLM.from_pretrained(basename(dir), opts) : await tjs.AutoModelForCausalLM.from_pretrained(basename(dir), opts)
  const tok = seq2seq ? (ours as Seq2SeqTranslator).tokenizer : (ours as DecoderTranslator).model.tokenizer
  const eos = new Set(seq2seq ? [(ours as Seq2SeqTranslator).folder.eosTokenIds?.[0] ?? 0] : (ours as DecoderTranslator).model.eosTokenIds)
  return {
    name: 'transformers.js 4.3.1',
    async run(texts, maxNew) {
      const rows = texts.map((x) => ours.inputIds(x))
      const W = Math.max(...rows.map((r) => r.length))
      const pad = 0
      // encoder-decoders pad on the right, decoder-only models on the left (as transformers does)
      const padded = rows.map((r) => (seq2seq ? [...r, ...new Array<number>(W - r.length).fill(pad)] : [...new Array<number>(W - r.length).fill(pad), ...r]))
      const mask = rows.map((r) => (seq2seq ? [...new Array<number>(r.length).fill(1), ...new Array<number>(W - r.length).fill(0)] : [...new Array<number>(W - r.length).fill(0), ...new Array<number>(r.length).fill(1)]))
      const out = await model.generate({
        input_ids: new tjs.Tensor('int64', BigInt64Array.from(padded.flat().map(BigInt)), [rows.length, W]),
        attention_mask: new tjs.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), [rows.length, W]),
        max_new_tokens: maxNew, do_sample: false,
      }) as { tolist(): bigint[][] }
      // the generated part (after the decoder start, or after the padded prompt), up to EOS
      return out.tolist().map((r) => {
        const gen = r.slice(seq2seq ? 1 : W).map(Number)
        const end = gen.findIndex((x) => eos.has(x))
        return tok.decode(end >= 0 ? gen.slice(0, end) : gen, { skipSpecialTokens: true }).trim()
      })
    },
    close: async () => { await model.dispose() },
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function bench(label: string, dir: string): Promise<void> {
  const { engine: a, t } = await oursEngine(dir)
  const b = await tjsEngine(dir, t)
  const texts = sources()
  const fits = texts.map((s) => t.countTokens(s) <= t.maxSourceTokens)
  const src = texts.filter((_, i) => fits[i])
  const limit = (i: number, batch: number): number => Math.max(...src.slice(i, i + batch).map((s) => 2 * t.countTokens(s) + 16))
  let differ = 0
  for (const batch of [1, 8]) {
    const times = [[] as number[], [] as number[]]
    for (let s = 0; s < src.length; s += batch) { // warm-up, and the check that both say the same
      const [x, y] = [await a.run(src.slice(s, s + batch), limit(s, batch)), await b.run(src.slice(s, s + batch), limit(s, batch))]
      differ += x.filter((v, i) => v !== y[i]).length
    }
    for (let r = 0; r < REPS; r++) {
      for (const [i, e] of [a, b].entries()) {
        const t0 = performance.now()
        for (let s = 0; s < src.length; s += batch) await e.run(src.slice(s, s + batch), limit(s, batch))
        times[i]!.push((performance.now() - t0) / 1000)
      }
    }
    const [ours, theirs] = times.map((x) => src.length / median(x))
    console.log(`| ${label} | ${batch} | ${ours!.toFixed(2)} | ${theirs!.toFixed(2)} | ${(ours! / theirs!).toFixed(2)}× |`)
  }
  console.log(`|  | (${src.length} sentences; translations that differ between the engines: ${differ}) | | | |`)
  await a.close(); await b.close()
}

const tmp = mkdtempSync(join(tmpdir(), 'llm-bench-translate-'))
console.log(`# ${N} sentences of ${SOURCE || 'FLORES-200 devtest'}, greedy, median of ${REPS}, threads ${THREADS ?? 'default'}`)
console.log('| model | batch | ours sentences/s | transformers.js sentences/s | ratio |')
console.log('|---|---|---|---|---|')
const tiny = join(tmp, 'marian-tiny'); marianFolder(tiny, { d: 32, layers: 2, ffn: 64, heads: 4 })
await bench('Marian-shaped d32 2+2 layers (test fixture size)', tiny)
const small = join(tmp, 'marian-small'); marianFolder(small, { d: 256, layers: 6, ffn: 1024, heads: 8 })
await bench('Marian-shaped d256 6+6 layers', small)
if (existsSync(join(MODEL, 'translate_config.json'))) await bench(`decoder-only ${basename(MODEL)}`, MODEL)
else console.log(`(no decoder-only translator at ${MODEL}: pass --model DIR)`)
