/**
 * Tokenizer throughput: our tiktoken encodings vs gpt-tokenizer, js-tiktoken and tiktoken (the
 * official Rust core in WASM), on one ~10 MB mixed corpus, one process, single thread.
 *
 *   npm run bench:tokenizer            (builds, then: node --expose-gc dist/bench/tokenizer.js)
 *   options: --mb N (corpus size, default 10)  --reps N (default 5)  --encodings cl100k_base,o200k_base
 *            --libs ours,gpt-tokenizer,tiktoken,js-tiktoken (default all)
 *
 * Corpus (deterministic): ../shared data — tinyshakespeare, WikiText-2, C4 and Wikipedia samples,
 * Tatoeba/FLORES/TICO-19 French and English — plus generated CJK, Hangul and emoji text (random
 * Han runs, so its pieces rarely repeat), cut into ~64 KB documents and interleaved. Each library
 * encodes every document (one call each) and decodes each document's ids, reading one character
 * of the result so that a lazily joined string is paid for; MB/s counts UTF-8 bytes of text.
 * One warm-up pass, then `reps` timed passes, the libraries taking turns within each pass (so
 * load from other processes falls on all alike); the median is reported.
 */
import { encode as gtEncodeCl, decode as gtDecodeCl } from 'gpt-tokenizer/encoding/cl100k_base'
import { encode as gtEncodeO2, decode as gtDecodeO2 } from 'gpt-tokenizer/encoding/o200k_base'
import { getEncoding } from 'js-tiktoken'
import { get_encoding } from 'tiktoken'
import { loadTiktokenEncoding } from '../src/tokenizer/tiktoken/index.js'
import { buildCorpus } from './corpus.js'

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}
const targetMB = Number(arg('mb', '10'))
const reps = Number(arg('reps', '5'))
const libFilter = arg('libs', 'ours,gpt-tokenizer,tiktoken,js-tiktoken').split(',')
const encodings = arg('encodings', 'cl100k_base,o200k_base').split(',') as Array<'cl100k_base' | 'o200k_base'>

interface Lib {
  name: string
  encode(s: string): ArrayLike<number>
  decode(ids: ArrayLike<number>): string
}

function libraries(enc: 'cl100k_base' | 'o200k_base'): Lib[] {
  const ours = loadTiktokenEncoding(enc)
  const wasm = get_encoding(enc)
  const js = getEncoding(enc)
  const td = new TextDecoder('utf-8', { ignoreBOM: true })
  return [
    { name: 'ours', encode: (s) => ours.encode(s), decode: (ids) => ours.decode(ids as number[]) },
    { name: 'gpt-tokenizer 4.0.0', encode: enc === 'cl100k_base' ? gtEncodeCl : gtEncodeO2, decode: (ids) => (enc === 'cl100k_base' ? gtDecodeCl : gtDecodeO2)(ids as number[]) },
    { name: 'tiktoken 1.0.22 (WASM)', encode: (s) => wasm.encode(s, [], []), decode: (ids) => td.decode(wasm.decode(ids as Uint32Array)) },
    { name: 'js-tiktoken 1.0.21', encode: (s) => js.encode(s, [], []), decode: (ids) => js.decode(ids as number[]) },
  ]
}

let sink = 0 // keeps decoded text observable
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

function time(f: () => void): number {
  gc()
  const t = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t) / 1e9
}

function main(): void {
  const docs = buildCorpus(targetMB)
  const mb = docs.reduce((n, d) => n + Buffer.byteLength(d), 0) / 1e6
  console.log(`corpus: ${docs.length} documents, ${mb.toFixed(2)} MB UTF-8; ${reps} timed reps after 1 warm-up; median MB/s`)
  console.log(`node ${process.version}, ${process.arch}`)
  const rows: Array<{ enc: string; lib: string; encode: number; decode: number }> = []
  for (const enc of encodings) {
    const all = libraries(enc)
    const libs = all.filter((l) => libFilter.some((f) => l.name.split(' ')[0] === f))
    const wasm = all[2]!
    const wantIds = docs.map((d) => Array.from(wasm.encode(d)))
    const state = libs.map((lib) => {
      const ids = docs.map((d) => lib.encode(d)) // also the warm-up pass
      const same = ids.every((x, i) => x.length === wantIds[i]!.length && Array.prototype.every.call(x, (v: number, k: number) => v === wantIds[i]![k]))
      for (const x of ids) lib.decode(x) // decode warm-up
      return { lib, ids, same, enc: [] as number[], dec: [] as number[] }
    })
    // round-robin over libraries in every rep, so load from other processes hits all alike
    for (let r = 0; r < reps; r++) {
      for (const st of state) {
        st.enc.push(mb / time(() => { for (const d of docs) st.lib.encode(d) }))
        // reading a character flattens a rope-built string: the caller pays for that too
        st.dec.push(mb / time(() => { for (const x of st.ids) { const t = st.lib.decode(x); sink ^= t.charCodeAt(t.length >> 1) } }))
      }
    }
    for (const st of state) {
      rows.push({ enc, lib: st.lib.name, encode: median(st.enc), decode: median(st.dec) })
      console.log(`${enc.padEnd(12)} ${st.lib.name.padEnd(24)} encode ${median(st.enc).toFixed(2).padStart(7)} MB/s  decode ${median(st.dec).toFixed(2).padStart(7)} MB/s  ids ${st.same ? '= tiktoken' : 'DIFFER from tiktoken'}`)
    }
  }
  console.log('\n| encoding | library | encode MB/s | decode MB/s |\n|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.enc} | ${r.lib} | ${r.encode.toFixed(2)} | ${r.decode.toFixed(2)} |`)
  console.log('\n| encoding | ours / best peer, encode | ours / best peer, decode |\n|---|---|---|')
  for (const enc of encodings) {
    const mine = rows.find((r) => r.enc === enc && r.lib === 'ours')
    const peers = rows.filter((r) => r.enc === enc && r.lib !== 'ours')
    if (!mine || peers.length === 0) continue
    const bestE = peers.reduce((a, b) => (b.encode > a.encode ? b : a))
    const bestD = peers.reduce((a, b) => (b.decode > a.decode ? b : a))
    console.log(`| ${enc} | ${(mine.encode / bestE.encode).toFixed(2)}× (vs ${bestE.lib}) | ${(mine.decode / bestD.decode).toFixed(2)}× (vs ${bestD.lib}) |`)
  }
}

main()
if (sink === -1) console.log(sink)
