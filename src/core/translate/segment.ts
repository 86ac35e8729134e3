/**
 * How a document becomes the pieces a model translates, and back, so that nothing is lost:
 *   - layout 'lines': every line is a unit (one line in → one line out), blank lines stay blank;
 *   - layout 'paragraphs': units are runs of non-blank lines (joined with spaces), the blank-line
 *     separators are kept verbatim;
 *   - a unit the model cannot take at once (over its source budget, or always when the model asks
 *     for sentence-level input) is split into sentences (core/text/segment.ts), and a sentence still
 *     too long at clause punctuation, then between words, then between characters: split, never cut.
 * Each unit keeps its leading/trailing whitespace and the gaps between its sentences, so the
 * translations are rejoined in the same shape (pieces that had whitespace between them get one space).
 */
import { sentences as sentenceSpans } from '../text/segment.js'

export type Layout = 'lines' | 'paragraphs'

export interface Unit {
  /** the unit as it appears in the input (a line or a paragraph, whitespace included) */
  source: string
  /** line number (1-based) of its first line */
  line: number
  lead: string
  trail: string
  /** pieces to translate, and the whitespace that followed each in the source */
  pieces: string[]
  gaps: string[]
}

export interface SplitDocument {
  units: Unit[]
  /** the separators between units (separators[i] follows units[i]) */
  separators: string[]
  /** text before the first unit (leading blank lines in paragraph layout) */
  head: string
}

export interface SplitOptions {
  layout: Layout
  /** does this piece fit the model's source budget? */
  fits: (text: string) => boolean
  /** split every unit into sentences, even when it fits (models trained on single sentences) */
  alwaysSentences?: boolean
  /** BCP 47 tag for Intl.Segmenter (the source language) */
  locale?: string
}

export function splitDocument(text: string, o: SplitOptions): SplitDocument {
  const units: Unit[] = []
  const separators: string[] = []
  let head = ''
  if (o.layout === 'lines') {
    const lines = text.split('\n')
    lines.forEach((raw, i) => {
      if (i === lines.length - 1 && raw === '' && lines.length > 1) return // the final newline
      const cr = raw.endsWith('\r') ? '\r' : ''
      units.push(makeUnit(cr ? raw.slice(0, -1) : raw, i + 1, o))
      separators.push(i < lines.length - 1 ? `${cr}\n` : cr)
    })
  } else {
    const re = /\n[ \t\r]*\n(?:[ \t\r]*\n)*/g
    const lead = /^(?:[ \t\r]*\n)+/.exec(text)?.[0] ?? ''
    head = lead
    let at = lead.length
    let m: RegExpExecArray | null
    re.lastIndex = at
    let line = 1 + (lead.match(/\n/g)?.length ?? 0)
    while (at < text.length) {
      m = re.exec(text)
      const end = m ? m.index : text.length
      const para = text.slice(at, end)
      units.push(makeUnit(para, line, o))
      separators.push(m ? m[0] : '')
      line += (para.match(/\n/g)?.length ?? 0) + (m ? m[0].match(/\n/g)!.length : 0)
      at = m ? m.index + m[0].length : text.length
      if (!m) break
    }
  }
  return { units, separators, head }
}

function makeUnit(source: string, line: number, o: SplitOptions): Unit {
  const lead = /^\s*/.exec(source)![0]
  const rest = source.slice(lead.length)
  const trail = /\s*$/.exec(rest)![0]
  const body = rest.slice(0, rest.length - trail.length).replace(/\s*\n\s*/g, ' ') // wrapped lines of a paragraph
  if (body === '') return { source, line, lead, trail, pieces: [], gaps: [] }
  if (!o.alwaysSentences && o.fits(body)) return { source, line, lead, trail, pieces: [body], gaps: [''] }
  const pieces: string[] = []
  const gaps: string[] = []
  for (const { text, gap } of sentences(body, o.locale)) {
    const parts = chunk(text, o.fits)
    parts.forEach((p, i) => { pieces.push(p.text); gaps.push(i === parts.length - 1 ? gap : p.gap) })
  }
  return { source, line, lead, trail, pieces, gaps }
}

/** Sentences of `text` (core/text/segment.ts; text starts with no white space, as a unit's body), each with the white space after it. */
export function sentences(text: string, locale = 'en'): { text: string; gap: string }[] {
  const spans = sentenceSpans(text, 0, text.length, locale)
  return spans.map((s, i) => ({ text: text.slice(s.start, s.end), gap: text.slice(s.end, spans[i + 1]?.start ?? text.length) }))
}

/**
 * Split `text` until every part fits: at the clause punctuation (, ; : – —) nearest the middle,
 * else the space nearest the middle, else the middle grapheme. Parts keep the whitespace between
 * them as their gap; concatenating part + gap gives back `text` exactly.
 */
export function chunk(text: string, fits: (t: string) => boolean): { text: string; gap: string }[] {
  if (text.length <= 1 || fits(text)) return [{ text, gap: '' }]
  const mid = text.length / 2
  const nearest = (re: RegExp): number => {
    let best = -1
    for (const m of text.matchAll(re)) {
      const cut = m.index! + m[0].length
      if (cut > 0 && cut < text.length && (best < 0 || Math.abs(cut - mid) < Math.abs(best - mid))) best = cut
    }
    return best
  }
  let cut = nearest(/[,;:\u2013\u2014](?=\s)/g)
  if (cut < 0) cut = nearest(/\S(?=\s)/g)
  if (cut < 0) {
    const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)]
    cut = graphemes[Math.floor(graphemes.length / 2)]!.index
    // one grapheme that alone does not fit: it cannot be split further
    if (cut <= 0) return [{ text, gap: '' }]
  }
  const gap = /^\s*/.exec(text.slice(cut))![0]
  const left = chunk(text.slice(0, cut), fits)
  const right = chunk(text.slice(cut + gap.length), fits)
  left[left.length - 1]!.gap = gap
  return [...left, ...right]
}

/**
 * The translated document: each unit's translated pieces joined by its gaps (a gap that held
 * whitespace becomes one space — nothing for a target written without spaces — and no gap stays
 * none), with the
 * unit's own leading/trailing whitespace and the original separators.
 */
export function joinDocument(doc: SplitDocument, translated: readonly string[][], opts: { noSpaces?: boolean } = {}): string {
  let out = doc.head
  doc.units.forEach((u, i) => {
    const t = translated[i] ?? []
    const body = t.map((p, j) => p + (j < t.length - 1 ? joinGap(u.gaps[j] ?? '', opts.noSpaces) : '')).join('')
    out += u.pieces.length ? u.lead + body + u.trail : u.source
    out += doc.separators[i] ?? ''
  })
  return out
}

function joinGap(gap: string, noSpaces?: boolean): string {
  return gap === '' || noSpaces ? '' : ' '
}
