/**
 * Split a text into chunks of at most `maxTokens` tokens (as `count` measures them), at paragraph
 * boundaries where possible, else sentence boundaries, else between words; consecutive chunks
 * share up to `overlap` tokens of whole units (sentences/paragraphs) so an answer that straddles a
 * boundary is whole in one of them. A chunk's text is an exact slice of the input (whitespace
 * between units kept), with its 1-based line range.
 *
 * Units: paragraphs (separated by blank lines); a paragraph over the limit is cut into sentences
 * (core/text/segment.ts: Intl.Segmenter, a line break ends one); a sentence over the limit into runs
 * of words. A single word over the limit stays whole (the embedding model truncates it).
 */
import { paragraphs, sentences, trimSpan, type Span } from '../text/segment.js'

export interface Chunk {
  text: string
  /** 1-based, inclusive */
  lineStart: number
  lineEnd: number
  tokens: number
}

export interface ChunkOptions {
  maxTokens: number
  overlap: number
  /** tokens in a piece of text */
  count: (text: string) => number
}

interface Unit { start: number; end: number; tokens: number }

export function chunkText(text: string, opts: ChunkOptions): Chunk[] {
  if (!(opts.maxTokens >= 1)) throw new Error(`chunkText: maxTokens must be >= 1, got ${opts.maxTokens}`)
  const units: Unit[] = []
  for (const p of paragraphs(text)) splitUnit(text, p, opts, units, 0)
  const lineStarts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1)
  const lineOf = (offset: number): number => {
    let lo = 0, hi = lineStarts.length - 1
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (lineStarts[mid]! <= offset) lo = mid; else hi = mid - 1 }
    return lo + 1
  }
  const chunks: Chunk[] = []
  let i = 0
  while (i < units.length) {
    let j = i
    let tokens = units[i]!.tokens
    while (j + 1 < units.length && tokens + units[j + 1]!.tokens <= opts.maxTokens) tokens += units[++j]!.tokens
    const start = units[i]!.start, end = units[j]!.end
    const slice = text.slice(start, end)
    chunks.push({ text: slice, lineStart: lineOf(start), lineEnd: lineOf(end - 1), tokens: opts.count(slice) })
    if (j + 1 >= units.length) break
    // the next chunk starts with the last units of this one that fit in the overlap (never all of them)
    let next = j + 1
    let carried = 0
    while (next - 1 > i && carried + units[next - 1]!.tokens <= opts.overlap) carried += units[--next]!.tokens
    i = next
  }
  return chunks
}

/** Non-blank spans of text[from, to) between matches of `sep`, trimmed of surrounding whitespace. */
function* spans(text: string, sep: RegExp, from = 0, to = text.length): Generator<Span> {
  const re = new RegExp(sep.source, 'g')
  re.lastIndex = from
  let at = from
  for (;;) {
    const m = re.exec(text)
    const stop = m && m.index < to ? m.index : to
    const s = trimSpan(text, at, stop)
    if (s) yield s
    if (!m || m.index >= to) return
    at = m.index + m[0].length
    if (m[0].length === 0) re.lastIndex++
  }
}

/** the finer cuts of a unit over the limit: sentences, then words */
const SPLITTERS: ((text: string, span: Span) => Span[])[] = [
  (text, span) => sentences(text, span.start, span.end),
  (text, span) => [...spans(text, /\s+/g, span.start, span.end)],
]

/** Push `span` as one unit, or cut it with the next finer splitter until the pieces fit. */
function splitUnit(text: string, span: Span, opts: ChunkOptions, out: Unit[], level: number): void {
  const tokens = opts.count(text.slice(span.start, span.end))
  if (tokens <= opts.maxTokens || level >= SPLITTERS.length) { out.push({ ...span, tokens }); return }
  const pieces = SPLITTERS[level]!(text, span)
  if (pieces.length <= 1) { splitUnit(text, span, opts, out, level + 1); return }
  if (level === SPLITTERS.length - 1) {
    // words: pack runs of words up to the limit, each word counted with the space before it
    // (linear: a run's count is the sum of its words')
    let run = { ...pieces[0]!, tokens: opts.count(text.slice(pieces[0]!.start, pieces[0]!.end)) }
    for (let k = 1; k < pieces.length; k++) {
      const w = pieces[k]!
      const add = opts.count(text.slice(pieces[k - 1]!.end, w.end))
      if (run.tokens + add <= opts.maxTokens) run = { start: run.start, end: w.end, tokens: run.tokens + add }
      else { out.push(run); run = { ...w, tokens: opts.count(text.slice(w.start, w.end)) } }
    }
    out.push(run)
    return
  }
  for (const p of pieces) splitUnit(text, p, opts, out, level + 1)
}
