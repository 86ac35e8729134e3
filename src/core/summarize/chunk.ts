/**
 * Split a document into chunks of at most `maxTokens` tokens of the model's own tokenizer, cut
 * at paragraph boundaries where the paragraphs allow, else at sentence boundaries (Intl.Segmenter),
 * else at white space, else anywhere (a run with no break at all, e.g. base64). Every chunk is a
 * verbatim slice of the input; together they cover all of it (nothing is dropped). With
 * `overlapTokens`, a chunk also repeats the last sentences of the one before it, up to that many
 * tokens.
 *
 *   chunkText(doc, { maxTokens: 300, overlapTokens: 30, countTokens: (s) => tok.encode(s).length })
 *   // → [{ start, end, text, tokens }, …]  with tokens ≤ 300 each, measured on the chunk's text
 */
import { paragraphs, sentences, type Span } from '../text/segment.js'

export interface Chunk { start: number; end: number; text: string; tokens: number }

export interface ChunkOptions {
  maxTokens: number
  overlapTokens?: number
  countTokens: (text: string) => number
  locale?: string
}

interface Unit extends Span { tokens: number; paragraph?: boolean }

export function chunkText(text: string, opts: ChunkOptions): Chunk[] {
  const max = Math.max(1, Math.floor(opts.maxTokens))
  const overlap = Math.max(0, Math.min(Math.floor(opts.overlapTokens ?? 0), Math.floor(max / 2)))
  const count = opts.countTokens
  const slice = (s: Span): string => text.slice(s.start, s.end)

  // units of at most `max` tokens: paragraphs, or the sentences (or pieces) of one too large
  const sentenceUnits = (p: Span): Unit[] => sentences(text, p.start, p.end, opts.locale).flatMap((s) => {
    const t = count(slice(s))
    return t <= max ? [{ ...s, tokens: t }] : hardSplit(text, s, max, count)
  })
  const units: Unit[] = paragraphs(text).flatMap((p) => {
    const t = count(slice(p))
    return t <= max ? [{ ...p, tokens: t, paragraph: true }] : sentenceUnits(p)
  })

  const chunks: Chunk[] = []
  let carry: Unit[] = [] // the overlap: last units of the previous chunk
  let i = 0
  while (i < units.length) {
    let cur = [...carry]
    // units joined cost their tokens and about one for the white space between them
    let sum = cur.reduce((n, u, k) => n + u.tokens + (k ? 1 : 0), 0)
    let added = 0
    while (i < units.length) {
      const u = units[i]!
      const need = cur.length ? u.tokens + 1 : u.tokens
      if (sum + need <= max || cur.length === 0) { cur.push(u); sum += need; i++; added++; continue }
      // the overlap leaves no room for even one new unit: drop it rather than stall
      if (added === 0 && carry.length > 0) { cur = []; sum = 0; carry = []; continue }
      // a paragraph that would leave this chunk less than half full is packed by sentences
      if (u.paragraph && sum < max / 2) { units.splice(i, 1, ...sentenceUnits(u)); continue }
      break
    }
    // the slice can tokenize to more than its units did apart: give new units back until it fits
    const span = (): Span => ({ start: cur[0]!.start, end: cur.at(-1)!.end })
    let t = count(slice(span()))
    while (t > max && cur.length - carry.length > 1) { cur.pop(); i--; t = count(slice(span())) }
    if (t > max && carry.length > 0) { cur = cur.slice(carry.length); t = count(slice(span())) }
    const s = span()
    chunks.push({ ...s, text: slice(s), tokens: t })
    carry = []
    if (overlap > 0 && i < units.length) {
      let k = 0
      for (let j = cur.length - 1; j >= 1 && k + cur[j]!.tokens <= overlap; j--) { carry.unshift(cur[j]!); k += cur[j]!.tokens + 1 }
    }
  }
  return chunks
}

/** Pieces of text[s] of at most `max` tokens each, cut at the last white space that fits, else anywhere. */
function hardSplit(text: string, s: Span, max: number, count: (t: string) => number): Unit[] {
  const out: Unit[] = []
  let start = s.start
  while (start < s.end) {
    if (count(text.slice(start, s.end)) <= max) {
      out.push({ start, end: s.end, tokens: count(text.slice(start, s.end)) })
      break
    }
    // the longest prefix that fits (binary search on code-unit offsets, kept off surrogate halves)
    let lo = start + 1
    let hi = s.end
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      if (count(text.slice(start, mid)) <= max) lo = mid
      else hi = mid - 1
    }
    let end = lo
    if (end < s.end && isLowSurrogate(text.charCodeAt(end))) end--
    if (end <= start) end = Math.min(s.end, start + (isHighSurrogate(text.charCodeAt(start)) ? 2 : 1))
    const ws = text.slice(start, end).search(/\s\S*$/)
    if (ws > 0 && end < s.end) end = start + ws
    let e = end
    while (e > start && /\s/.test(text[e - 1]!)) e--
    if (e > start) out.push({ start, end: e, tokens: count(text.slice(start, e)) })
    start = end
    while (start < s.end && /\s/.test(text[start]!)) start++
  }
  return out
}

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff
const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff
