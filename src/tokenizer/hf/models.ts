import { LlmError } from '../../core/errors.js'
import { BpeModel } from './bpe-model.js'
import { type Ctx, type Json, asObject, bool, fail, num, optStr, str, unsupported } from './json.js'
import { UnigramModel } from './unigram-model.js'

/** A tokenizer.json `model`: vocab plus how one pre-tokenized word becomes ids. */
export interface Model {
  readonly type: string
  readonly vocab: ReadonlyMap<string, number>
  /** tokenize one word (in the vocab's alphabet), appending ids */
  tokenize(word: string, out: number[]): void
  /** the BPE model when type is BPE (the byte-level fast path needs it) */
  readonly bpe?: BpeModel
}

function readVocab(ctx: Ctx, v: unknown): Map<string, number> {
  const o = asObject(ctx, v, 'model.vocab')
  const m = new Map<string, number>()
  for (const k in o) {
    const id = o[k]
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(ctx, `model.vocab: id of ${JSON.stringify(k)} is not a non-negative integer`)
    m.set(k, id)
  }
  return m
}

function readMerges(ctx: Ctx, v: unknown): [string, string][] {
  if (!Array.isArray(v)) fail(ctx, 'BPE: model.merges is not an array')
  return v.map((m, i): [string, string] => {
    if (typeof m === 'string') {
      // legacy "a b" form: split at the first space
      const sp = m.indexOf(' ')
      if (sp < 0) fail(ctx, `BPE: merge #${i} ${JSON.stringify(m)} has no space`)
      return [m.slice(0, sp), m.slice(sp + 1)]
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]]
    return fail(ctx, `BPE: merge #${i} is neither "a b" nor ["a", "b"]`)
  })
}

function unkId(ctx: Ctx, vocab: Map<string, number>, unk: string | undefined, type: string): () => number {
  let id: number | undefined
  return () => {
    if (id !== undefined) return id
    if (unk === undefined || !vocab.has(unk)) throw new LlmError(`${type}: unk_token ${JSON.stringify(unk ?? null)} is not in the vocab`, { where: ctx.source })
    return (id = vocab.get(unk)!)
  }
}

export function buildModel(ctx: Ctx, cfg: unknown): Model {
  const o = asObject(ctx, cfg, 'model')
  // older files omit `type` for BPE; tokenizers then guesses from the fields
  const type = o.type ?? ('merges' in o ? 'BPE' : undefined)
  if (typeof type !== 'string') return unsupported(ctx, 'model', type)
  switch (type) {
    case 'BPE': return buildBpe(ctx, o)
    case 'WordPiece': return buildWordPiece(ctx, o)
    case 'WordLevel': {
      const vocab = readVocab(ctx, o.vocab)
      const unk = unkId(ctx, vocab, optStr(ctx, o, 'unk_token'), 'WordLevel')
      return { type, vocab, tokenize: (w, out) => { out.push(vocab.get(w) ?? unk()) } }
    }
    case 'Unigram': {
      const raw = o.vocab
      if (!Array.isArray(raw)) fail(ctx, 'Unigram: model.vocab is not an array of [piece, score]')
      const pieces = raw.map((e, i): [string, number] => {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') fail(ctx, `Unigram: vocab[${i}] is not [piece, score]`)
        return [e[0], e[1]]
      })
      const unkId = o.unk_id === null || o.unk_id === undefined ? undefined : num(ctx, o, 'unk_id')
      if (unkId !== undefined && (unkId < 0 || unkId >= pieces.length)) fail(ctx, `Unigram: unk_id ${unkId} is outside the vocab`)
      const m = new UnigramModel(pieces, unkId, bool(ctx, o, 'byte_fallback', false), ctx.source)
      return { type, vocab: m.vocab, tokenize: (w, out) => m.tokenize(w, out) }
    }
    default: return unsupported(ctx, 'model', type)
  }
}

function buildBpe(ctx: Ctx, o: Json): Model {
  const vocab = readVocab(ctx, o.vocab)
  const bpe = new BpeModel({
    vocab,
    merges: readMerges(ctx, o.merges),
    unkToken: optStr(ctx, o, 'unk_token'),
    continuingSubwordPrefix: optStr(ctx, o, 'continuing_subword_prefix'),
    endOfWordSuffix: optStr(ctx, o, 'end_of_word_suffix'),
    fuseUnk: bool(ctx, o, 'fuse_unk', false),
    byteFallback: bool(ctx, o, 'byte_fallback', false),
    ignoreMerges: bool(ctx, o, 'ignore_merges', false),
    source: ctx.source,
  })
  return { type: 'BPE', vocab, bpe, tokenize: (w, out) => bpe.tokenize(w, out) }
}

/** WordPiece (models/wordpiece/mod.rs): greedy longest-match-first, continuation pieces "##" */
function buildWordPiece(ctx: Ctx, o: Json): Model {
  const vocab = readVocab(ctx, o.vocab)
  const unk = unkId(ctx, vocab, str(ctx, o, 'unk_token', '[UNK]'), 'WordPiece')
  const prefix = str(ctx, o, 'continuing_subword_prefix', '##')
  const maxChars = num(ctx, o, 'max_input_chars_per_word', 100)
  return {
    type: 'WordPiece',
    vocab,
    tokenize(w, out) {
      const chars = Array.from(w)
      if (chars.length > maxChars) { out.push(unk()); return }
      const first = out.length
      let start = 0
      while (start < chars.length) {
        let end = chars.length
        let found = -1
        while (start < end) {
          let sub = chars.slice(start, end).join('')
          if (start > 0) sub = prefix + sub
          const id = vocab.get(sub)
          if (id !== undefined) { found = id; break }
          end--
        }
        if (found < 0) { out.length = first; out.push(unk()); return }
        out.push(found)
        start = end
      }
    },
  }
}
