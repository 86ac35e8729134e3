/**
 * Long-document strategies over a Summarizer (backend.ts), each call measured before it runs:
 *  - stuff: the whole document in one call (refused, never cut, when it does not fit);
 *  - map-reduce: summarize every chunk, then combine the summaries in as few calls as fit; when
 *    they do not fit one call, the combining repeats level by level (LangChain's collapse);
 *  - tree: the same bottom-up reduction with at most `fanIn` summaries per call (LlamaIndex's
 *    tree_summarize);
 *  - refine: summarize the first chunk, then update that summary with each next chunk in turn.
 * Convergence is guaranteed, not hoped for: a call whose output is not shorter (in tokens) than
 * its input, or is empty, is replaced by an extractive reduction of its input to half its length
 * (`reductions` counts them); before each level every summary is cut to half a call's room, so
 * every combine call takes at least two and each level has at most ⌈n/2⌉ items; past `maxLevels`
 * the rest is reduced extractively in one step (`capped`). So a document of C chunks costs at most
 * C map calls + C − 1 combine calls, and levels ≤ 1 + ⌈log2 C⌉.
 */
import { usageError } from '../errors.js'
import { chunkText } from './chunk.js'
import { fits, type CallKind, type SummaryCall, type Summarizer } from './backend.js'
import { reduceToTokens } from './extractive.js'

export type Strategy = 'stuff' | 'map-reduce' | 'refine' | 'tree'

export interface SummarizeEvent {
  phase: 'stuff' | 'map' | 'combine' | 'refine'
  /** 1 = the document's chunks, 2… = combining levels */
  level: number
  /** calls done in this phase / level, and how many it has */
  done: number
  total: number
  prompt_tokens: number
  output_tokens: number
  /** the model's output did not shrink and was reduced extractively */
  reduced: boolean
}

export interface StrategyOptions {
  strategy?: Strategy | 'auto'
  /** cap on a chunk's tokens (default: all the room a call has) */
  chunkTokens?: number
  overlapTokens?: number
  /** most levels before the rest is reduced extractively (default 8) */
  maxLevels?: number
  /** tree: most summaries per combine call (default 4) */
  fanIn?: number
  locale?: string
  onEvent?: (e: SummarizeEvent) => void
  /** a note for stderr (a strategy switched, a cap reached) */
  onNote?: (line: string) => void
}

export interface StrategyResult {
  summary: string
  strategy: Strategy
  chunks: number
  levels: number
  calls: number
  max_prompt_tokens: number
  reductions: number
  capped: boolean
}

/** tokens between a call's data text and the rest of its prompt may merge: keep this many spare */
export const MARGIN = 8
/** between partial summaries in a combine call */
export const SEP = '\n\n'

export async function runStrategy(s: Summarizer, text: string, opts: StrategyOptions = {}): Promise<StrategyResult> {
  const count = (t: string): number => s.countTokens(t)
  const room = (kind: CallKind, extra = 0): number => s.contextLength - s.maxOutputTokens - s.promptTokens({ kind, text: '', summary: '', parts: 2 }) - MARGIN - extra
  const chunkRoom = room('chunk')
  if (chunkRoom < 16) {
    throw usageError(`the model's context (${s.contextLength} tokens) leaves ${Math.max(0, chunkRoom)} for the text once the prompt and ${s.maxOutputTokens} output tokens are counted`, { where: '--max-words', hint: 'ask for a shorter summary (--length short / --max-words), or use a model with a longer context' })
  }
  const budget = Math.min(chunkRoom, opts.chunkTokens ?? Infinity)
  const docTokens = count(text)
  let strategy: Strategy = opts.strategy === undefined || opts.strategy === 'auto' ? (docTokens <= budget ? 'stuff' : 'map-reduce') : opts.strategy
  const r: StrategyResult = { summary: '', strategy, chunks: 0, levels: 0, calls: 0, max_prompt_tokens: 0, reductions: 0, capped: false }

  /** one measured call; a non-shrinking or empty answer is reduced extractively */
  const call = async (c: SummaryCall, phase: SummarizeEvent['phase'], level: number, done: number, total: number, cap: number): Promise<string> => {
    const out = await s.summarizeCall(c)
    r.calls++
    r.max_prompt_tokens = Math.max(r.max_prompt_tokens, out.promptTokens)
    let text = out.text
    const limit = Math.min(cap, count(c.kind === 'refine' ? `${c.summary ?? ''}${SEP}${c.text}` : c.text) - 1)
    const reduced = text.trim() === '' || count(text) > limit
    if (reduced) {
      text = reduceToTokens(c.kind === 'refine' ? `${c.summary ?? ''}${SEP}${c.text}` : c.text, Math.max(1, Math.min(limit, cap)), count, { locale: opts.locale })
      r.reductions++
    }
    opts.onEvent?.({ phase, level, done, total, prompt_tokens: out.promptTokens, output_tokens: out.outputTokens, reduced })
    return text
  }

  if (strategy === 'stuff') {
    const c: SummaryCall = { kind: 'chunk', text }
    if (!fits(s, c)) {
      throw usageError(`the document is ${docTokens} tokens, more than one call holds (${chunkRoom})`, { where: '--strategy stuff', hint: 'use --strategy auto, map-reduce, tree or refine' })
    }
    r.chunks = 1
    r.levels = 1
    r.summary = await call(c, 'stuff', 1, 1, 1, Math.max(1, docTokens - 1))
    return r
  }

  if (strategy === 'refine') {
    const cap = s.maxOutputTokens
    const refineRoom = Math.min(budget, room('refine', cap))
    if (refineRoom < 16) {
      opts.onNote?.(`refine: the context leaves no room for a summary and a part together; using map-reduce`)
      strategy = r.strategy = 'map-reduce'
    } else {
      // every prompt is measured right before its call (the measured prompt is the one sent)
      const parts = chunkText(text, { maxTokens: refineRoom, overlapTokens: opts.overlapTokens, countTokens: count, locale: opts.locale }).map((c) => c.text)
      r.levels = 1
      let summary: string | undefined
      for (let k = 0; k < parts.length; k++) {
        let c: SummaryCall = summary === undefined ? { kind: 'chunk', text: parts[k]! } : { kind: 'refine', summary, text: parts[k]! }
        // a summary that re-tokenized longer than the output cap is cut back first; a part that
        // still does not fit (tokens merged at the seams) is halved
        if (!fits(s, c) && c.kind === 'refine') c = { ...c, summary: reduceToTokens(summary!, Math.floor(cap / 2), count, { locale: opts.locale }) }
        if (!fits(s, c)) { parts.splice(k, 1, ...halve(s, parts[k]!)); k--; continue }
        summary = await call(c, 'refine', 1, k + 1, parts.length, cap)
      }
      r.chunks = parts.length
      r.summary = summary ?? ''
      return r
    }
  }

  // map
  const chunks = chunkText(text, { maxTokens: budget, overlapTokens: opts.overlapTokens, countTokens: count, locale: opts.locale }).map((c) => c.text)
  r.levels = 1
  let items: string[] = []
  for (let k = 0; k < chunks.length; k++) {
    const c: SummaryCall = { kind: 'chunk', text: chunks[k]! }
    if (!fits(s, c)) { chunks.splice(k, 1, ...halve(s, chunks[k]!)); k--; continue }
    items.push(await call(c, 'map', 1, k + 1, chunks.length, s.maxOutputTokens))
  }
  r.chunks = chunks.length
  // reduce
  const fanIn = strategy === 'tree' ? Math.max(2, opts.fanIn ?? 4) : Infinity
  const maxLevels = Math.max(2, opts.maxLevels ?? 8)
  const combineRoom = room('combine')
  const half = Math.max(1, Math.floor((combineRoom - count(SEP)) / 2))
  while (items.length > 1) {
    if (r.levels >= maxLevels) {
      opts.onNote?.(`reached ${maxLevels} levels with ${items.length} summaries left: reducing them extractively in one step`)
      items = [reduceToTokens(items.join(SEP), s.maxOutputTokens, count, { locale: opts.locale })]
      r.capped = true
      r.reductions++
      break
    }
    r.levels++
    items = items.map((t) => (count(t) > half ? (r.reductions++, reduceToTokens(t, half, count, { locale: opts.locale })) : t))
    const groups = pack(items, combineRoom, fanIn, count)
    const next: string[] = []
    let done = 0
    const queue = [...groups]
    let calls = groups.filter((g) => g.length > 1).length
    while (queue.length) {
      const g = queue.shift()!
      if (g.length === 1) { next.push(g[0]!); continue }
      const c: SummaryCall = { kind: 'combine', text: g.join(SEP), parts: g.length }
      // tokens merged across the seams made it one too many: halve the group (singles always fit)
      if (!fits(s, c)) { queue.unshift(g.slice(0, g.length >> 1), g.slice(g.length >> 1)); calls += 1; continue }
      next.push(await call(c, 'combine', r.levels, ++done, calls, s.maxOutputTokens))
    }
    items = next
  }
  r.summary = items[0] ?? ''
  return r
}

/** Consecutive groups whose joined text fits `room` tokens, at most `fanIn` each. */
function pack(items: readonly string[], room: number, fanIn: number, count: (t: string) => number): string[][] {
  const groups: string[][] = []
  let cur: string[] = []
  for (const t of items) {
    if (cur.length > 0 && (cur.length >= fanIn || count([...cur, t].join(SEP)) > room)) { groups.push(cur); cur = [] }
    cur.push(t)
  }
  if (cur.length) groups.push(cur)
  return groups
}

/** A chunk whose prompt would not fit after all (tokens merged across the seams), in two. */
function halve(s: Summarizer, t: string): string[] {
  const n = s.countTokens(t)
  const halves = chunkText(t, { maxTokens: Math.max(1, Math.ceil(n / 2)), countTokens: (x) => s.countTokens(x) }).map((c) => c.text)
  if (halves.length < 2) throw new Error(`internal: a chunk of ${n} tokens cannot be split to fit the context`)
  return halves
}
