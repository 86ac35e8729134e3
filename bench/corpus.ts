/**
 * The tokenizer benchmarks' corpus (deterministic): ../shared data — tinyshakespeare, WikiText-2,
 * C4 and Wikipedia samples, Tatoeba/FLORES/TICO-19 French and English — plus generated CJK,
 * Hangul and emoji text (random Han runs, so its pieces rarely repeat), cut into ~64 KB documents
 * and interleaved.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniforms as rng } from '../src/core/rng.js'

const here = dirname(fileURLToPath(import.meta.url))
export const sharedDir = resolve(here, '../..', '../shared') // dist/bench → repo → ../shared

function cjkText(bytes: number, next: () => number): string {
  const emoji = ['😀', '👍🏽', '👩‍👩‍👧‍👦', '🇫🇷', '❤️', '🤷‍♂️', '🎉', '🚀', '✅', '1️⃣']
  const punct = ['，', '。', '、', '！', '？', '：', ' ', '\n']
  const pick = (lo: number, hi: number): string => String.fromCodePoint(lo + Math.floor(next() * (hi - lo)))
  let s = ''
  while (Buffer.byteLength(s) < bytes) {
    const kind = next()
    const n = 1 + Math.floor(next() * 8)
    for (let i = 0; i < n; i++) {
      if (kind < 0.5) s += pick(0x4e00, 0x9fa5) // Han
      else if (kind < 0.7) s += pick(0x3041, 0x3097) // hiragana
      else if (kind < 0.85) s += pick(0xac00, 0xd7a4) // Hangul syllables
      else s += emoji[Math.floor(next() * emoji.length)]
    }
    s += punct[Math.floor(next() * punct.length)]
  }
  return s
}

/** the bench corpus: ~targetMB of UTF-8 in 64 KB documents, interleaved across the sources */
export function buildCorpus(targetMB: number): string[] {
  const read = (p: string, maxBytes = Infinity): string => {
    const t = readFileSync(resolve(sharedDir, p), 'utf8')
    return maxBytes === Infinity ? t : t.slice(0, maxBytes)
  }
  const c4 = readFileSync(resolve(sharedDir, 'data/instruct/c4_demo.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text).join('\n\n')
  const sources = [
    read('data/tinyshakespeare/input.txt'),
    read('data/wikitext2/wiki.test.tokens'),
    read('data/wikitext2/wiki.valid.tokens'),
    c4,
    read('data/instruct/wiki_demo.txt'),
    read('data/translation/tatoeba/fra.fr', 2_500_000),
    read('data/translation/flores200/fra_Latn.devtest') + read('data/translation/flores200/eng_Latn.devtest'),
    read('data/translation/tico19/tico19-test.fr') + read('data/translation/tico19/tico19-test.en'),
    cjkText(700_000, rng(42)),
  ]
  const DOC = 64 * 1024
  const blocks = sources.map((s) => { const b: string[] = []; for (let i = 0; i < s.length; i += DOC) b.push(s.slice(i, i + DOC)); return b })
  const docs: string[] = []
  let bytes = 0
  for (let round = 0; bytes < targetMB * 1e6; round++) {
    let added = false
    for (const b of blocks) {
      if (round < b.length && bytes < targetMB * 1e6) { docs.push(b[round]!); bytes += Buffer.byteLength(b[round]!); added = true }
    }
    if (!added) break
  }
  return docs
}
