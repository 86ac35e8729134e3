/**
 * Comparing an HfTokenizer with the official Rust `tokenizers` (npm binding) over a corpus:
 * encode with and without add_special_tokens, special tokens matched ('all', HF's default) or
 * read as text ('none', HF's encode_special_tokens), decode with and without skip_special_tokens.
 * Used by parity.test.ts and families.test.ts.
 */
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { HfTokenizer } from '../../../src/tokenizer/hf/index.js'
import type { Json, Variant } from '../../fixtures/tokenizer/hf/configs.js'

export interface Pair { name: string; ours: HfTokenizer; ref: RefTokenizer; refNoSpecial?: RefTokenizer }

/**
 * The reference for allowedSpecial 'none' (tokenizers' encode_special_tokens, which the binding
 * does not expose): the same file without its special added tokens. tokenizers numbers added
 * tokens that are not in the vocab in file order, so ids of the remaining added tokens can shift
 * there; checkEncode maps them back by content.
 */
export function pairOf(v: Variant, withNone: boolean): Pair {
  const noSpecial = structuredClone(v.json)
  noSpecial.added_tokens = ((v.json.added_tokens as Json[] | undefined) ?? []).filter((t) => !t.special)
  return {
    name: v.name,
    ours: HfTokenizer.fromJSON(v.json, v.name),
    ref: RefTokenizer.fromString(JSON.stringify(v.json)),
    refNoSpecial: withNone ? RefTokenizer.fromString(JSON.stringify(noSpecial)) : undefined,
  }
}

/** an added token's content by id (idToToken gives the normalized text for normalized ones) */
function contentOf(ref: RefTokenizer, id: number): string {
  const vocab = ref.getVocab(true)
  for (const k in vocab) if (vocab[k] === id) return k
  return ''
}

export async function refIds(ref: RefTokenizer, text: string, addSpecialTokens: boolean): Promise<number[]> {
  return (await ref.encode(text, null, { addSpecialTokens })).getIds()
}

/** compare over the corpus; collect every mismatch so a failure shows them all */
export async function checkEncode(p: Pair, corpus: string[]): Promise<string[]> {
  const bad: string[] = []
  for (const text of corpus) {
    for (const add of [false, true]) {
      const want = await refIds(p.ref, text, add)
      const got = p.ours.encode(text, { addSpecialTokens: add, allowedSpecial: 'all' })
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${p.name} all add=${add} ${JSON.stringify(text)}\n  ours ${got}\n  ref  ${want}`)
    }
    if (p.refNoSpecial === undefined) continue
    const modelSize = p.refNoSpecial.getVocabSize(false)
    const want = (await refIds(p.refNoSpecial, text, false))
      .map((id) => (id < modelSize ? id : p.ours.tokenToId(contentOf(p.refNoSpecial!, id))))
    const got = p.ours.encode(text)
    if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${p.name} none ${JSON.stringify(text)}\n  ours ${got}\n  ref  ${want}`)
  }
  return bad
}

export async function checkDecode(p: Pair, corpus: string[]): Promise<string[]> {
  const bad: string[] = []
  for (const text of corpus) {
    const ids = await refIds(p.ref, text, true)
    for (const skip of [false, true]) {
      const want = await p.ref.decode(ids, skip)
      const got = p.ours.decode(ids, { skipSpecialTokens: skip })
      if (got !== want) bad.push(`${p.name} skip=${skip} ${JSON.stringify(text)} ids ${ids}\n  ours ${JSON.stringify(got)}\n  ref  ${JSON.stringify(want)}`)
    }
  }
  return bad
}
