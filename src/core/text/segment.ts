/**
 * Text → paragraphs, sentences and words, as offsets into the original string (so every piece
 * handed on is verbatim input). Sentences and words come from Intl.Segmenter (ICU's UAX #29
 * rules and, for Chinese, Japanese and Thai, its dictionaries): no language list to maintain.
 * A line break ends a sentence (UAX #29 rule SB4), so headings and list items stand alone.
 * The one text segmenter: summarize, translate and index chunking use it.
 */

export interface Span { start: number; end: number }

const segmenters = new Map<string, Intl.Segmenter>()
function segmenter(granularity: 'sentence' | 'word', locale?: string): Intl.Segmenter {
  const key = `${granularity}:${locale ?? ''}`
  let s = segmenters.get(key)
  if (!s) segmenters.set(key, (s = new Intl.Segmenter(locale, { granularity })))
  return s
}

/** [start, end) narrowed to exclude white space at either end; undefined when nothing is left. */
export function trimSpan(text: string, start: number, end: number): Span | undefined {
  while (start < end && /\s/u.test(text[start]!)) start++
  while (end > start && /\s/u.test(text[end - 1]!)) end--
  return end > start ? { start, end } : undefined
}

/** Paragraphs: runs of text between blank lines, trimmed. */
export function paragraphs(text: string): Span[] {
  const out: Span[] = []
  const re = /\n[ \t\f\v\r\u00a0\u2028\u2029]*\n\s*/g
  let last = 0
  for (const m of text.matchAll(re)) {
    const s = trimSpan(text, last, m.index)
    if (s) out.push(s)
    last = m.index + m[0].length
  }
  const s = trimSpan(text, last, text.length)
  if (s) out.push(s)
  return out
}

/** Sentences of text[start, end), trimmed, in order. */
export function sentences(text: string, start = 0, end = text.length, locale?: string): Span[] {
  const out: Span[] = []
  const part = text.slice(start, end)
  for (const seg of segmenter('sentence', locale).segment(part)) {
    const s = trimSpan(text, start + seg.index, start + seg.index + seg.segment.length)
    if (s) out.push(s)
  }
  return out
}

/** Word-like segments of text[start, end) (letters, digits, ideographs; no punctuation or spaces). */
export function words(text: string, start = 0, end = text.length, locale?: string): Span[] {
  const out: Span[] = []
  const part = text.slice(start, end)
  for (const seg of segmenter('word', locale).segment(part)) {
    if (seg.isWordLike) out.push({ start: start + seg.index, end: start + seg.index + seg.segment.length })
  }
  return out
}

/** Lower-cased, NFC-normalized word tokens of a text (the terms extractive ranking compares). */
export function terms(text: string, locale?: string): string[] {
  const out: string[] = []
  for (const seg of segmenter('word', locale).segment(text)) if (seg.isWordLike) out.push(seg.segment.normalize('NFC').toLowerCase())
  return out
}

/** Number of words, as `--max-words` counts them. */
export function wordCount(text: string, locale?: string): number {
  let n = 0
  for (const seg of segmenter('word', locale).segment(text)) if (seg.isWordLike) n++
  return n
}
