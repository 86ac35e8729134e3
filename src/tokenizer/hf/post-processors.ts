import { type Ctx, arr, asObject, fail, unsupported } from './json.js'

/**
 * tokenizer.json `post_processor`s, reduced to what changes ids for one sequence: the special
 * tokens added around it when add_special_tokens is true. (ByteLevel's only job is offsets.)
 */
export interface PostProcessor {
  /** ids with the template's special tokens around them */
  wrap(ids: number[]): number[]
  /** the special ids placed before / after the sequence (for BOS/EOS detection) */
  readonly before: number[]
  readonly after: number[]
}

const IDENTITY: PostProcessor = { wrap: (ids) => ids, before: [], after: [] }

function pair(ctx: Ctx, v: unknown, what: string): number {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'number') fail(ctx, `${what} must be ["token", id]`)
  return v[1] as number
}

function around(before: number[], after: number[]): PostProcessor {
  return { wrap: (ids) => [...before, ...ids, ...after], before, after }
}

export function buildPostProcessor(ctx: Ctx, cfg: unknown): PostProcessor {
  if (cfg === null || cfg === undefined) return IDENTITY
  const o = asObject(ctx, cfg, 'post_processor')
  switch (o.type) {
    case 'ByteLevel': return IDENTITY
    case 'RobertaProcessing':
    case 'BertProcessing':
      return around([pair(ctx, o.cls, `${o.type}.cls`)], [pair(ctx, o.sep, `${o.type}.sep`)])
    case 'TemplateProcessing': {
      const specials = asObject(ctx, o.special_tokens ?? {}, 'TemplateProcessing.special_tokens')
      const before: number[] = []
      const after: number[] = []
      let seenA = false
      for (const piece of arr(ctx, o, 'single')) {
        const p = asObject(ctx, piece, 'TemplateProcessing.single item')
        if (p.Sequence !== undefined) {
          const seq = asObject(ctx, p.Sequence, 'TemplateProcessing Sequence')
          if (seq.id === 'A') seenA = true
          continue
        }
        const sp = asObject(ctx, p.SpecialToken, 'TemplateProcessing.single item')
        const name = String(sp.id)
        const entry = specials[name]
        if (entry === undefined) fail(ctx, `TemplateProcessing: special token '${name}' is missing from special_tokens`)
        const ids = asObject(ctx, entry, `special_tokens.${name}`).ids
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'number')) fail(ctx, `TemplateProcessing: special_tokens.${name}.ids is not a list of ids`)
        ;(seenA ? after : before).push(...(ids as number[]))
      }
      return around(before, after)
    }
    case 'Sequence': {
      const parts = arr(ctx, o, 'processors').map((p) => buildPostProcessor(ctx, p))
      return {
        wrap: (ids) => parts.reduce((acc, p) => p.wrap(acc), ids),
        before: parts.flatMap((p) => p.before).reverse(),
        after: parts.flatMap((p) => p.after),
      }
    }
    default: return unsupported(ctx, 'post_processor', o.type)
  }
}
