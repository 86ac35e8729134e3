/**
 * Translate a whole text with any Translator: split it (segment.ts), translate the pieces in
 * batches of similar length, rejoin them in the input's shape. Work goes in windows of units in
 * input order, so output can be written while later input is still being translated (a pipeline
 * sees its first lines early); within a window pieces are sorted by length to batch well.
 */
import { performance } from 'node:perf_hooks'
import { findLanguage } from './languages.js'
import { joinDocument, splitDocument, type Layout, type SplitDocument } from './segment.js'
import type { Translator } from './translator.js'

export interface UnitRecord {
  /** 1-based line of the unit's first line */
  line: number
  source: string
  translation: string
  /** source pieces the unit was split into (1 unless it was long) */
  pieces: number
  tokens: { source: number; translation: number }
  /** the unit's share of its batches' wall time */
  ms: number
  /** 'length' when a piece stopped at the token limit (its translation is cut), else 'stop' */
  finish_reason: 'stop' | 'length'
}

export interface TranslateDocumentOptions {
  layout: Layout
  /** pieces per forward pass (default 8) */
  batchSize?: number
  /** units per window (default 64) */
  window?: number
  /** called with the text of each finished window, in order (they concatenate to the output) */
  onText?: (text: string) => void
  onUnit?: (record: UnitRecord) => void
  /** pieces done / total pieces */
  onProgress?: (done: number, total: number) => void
}

export interface DocumentResult {
  text: string
  units: UnitRecord[]
  pieces: number
  /** pieces that stopped at the token limit */
  cut: number
  seconds: number
}

const NO_SPACES = new Set(['zh', 'ja', 'th'])

export async function translateDocument(t: Translator, input: string, o: TranslateDocumentOptions): Promise<DocumentResult> {
  const t0 = performance.now()
  const doc = splitDocument(input, {
    layout: o.layout,
    fits: (s) => t.countTokens(s) <= t.maxSourceTokens,
    alwaysSentences: t.splitSentences,
    locale: localeOf(t.from),
  })
  const total = doc.units.reduce((n, u) => n + u.pieces.length, 0)
  const noSpaces = t.to !== undefined && NO_SPACES.has(findLanguage(t.to)?.iso1 ?? t.to)
  const batchSize = Math.max(1, o.batchSize ?? 8)
  const window = Math.max(1, o.window ?? 64)
  const units: UnitRecord[] = []
  const out: string[] = []
  let done = 0
  let cut = 0
  const emit = (s: string): void => { if (s) { out.push(s); o.onText?.(s) } }
  emit(doc.head)
  o.onProgress?.(0, total)
  for (let w = 0; w < doc.units.length; w += window) {
    const slice = doc.units.slice(w, w + window)
    const jobs = slice.flatMap((u, ui) => u.pieces.map((p, pi) => ({ ui, pi, text: p, n: t.countTokens(p) })))
    jobs.sort((a, b) => a.n - b.n)
    const results = slice.map((u) => u.pieces.map(() => ''))
    const tokens = slice.map(() => ({ source: 0, translation: 0, ms: 0, cut: 0 }))
    for (let b = 0; b < jobs.length; b += batchSize) {
      const batch = jobs.slice(b, b + batchSize)
      const tb = performance.now()
      const res = await t.translateBatch(batch.map((j) => j.text))
      const ms = (performance.now() - tb) / batch.length
      batch.forEach((j, k) => {
        results[j.ui]![j.pi] = res[k]!.text
        tokens[j.ui]!.source += res[k]!.sourceTokens
        tokens[j.ui]!.translation += res[k]!.outputTokens
        tokens[j.ui]!.ms += ms
        if (res[k]!.finishReason === 'length') { tokens[j.ui]!.cut++; cut++ }
      })
      done += batch.length
      o.onProgress?.(done, total)
    }
    const part: SplitDocument = { head: '', units: slice, separators: doc.separators.slice(w, w + window) }
    const text = joinDocument(part, results, { noSpaces })
    slice.forEach((u, i) => {
      const record: UnitRecord = {
        line: u.line, source: u.source, translation: u.pieces.length ? joinDocument({ head: '', units: [u], separators: [''] }, [results[i]!], { noSpaces }).trim() : '',
        pieces: u.pieces.length, tokens: { source: tokens[i]!.source, translation: tokens[i]!.translation }, ms: Math.round(tokens[i]!.ms * 10) / 10,
        finish_reason: tokens[i]!.cut ? 'length' : 'stop',
      }
      units.push(record)
      o.onUnit?.(record)
    })
    emit(text)
  }
  return { text: out.join(''), units, pieces: total, cut, seconds: (performance.now() - t0) / 1000 }
}

/** an Intl.Segmenter locale for a language code ('fra_Latn' → 'fr'), default English */
function localeOf(code: string | undefined): string {
  const iso1 = code ? findLanguage(code)?.iso1 : undefined
  return iso1 && Intl.Segmenter.supportedLocalesOf([iso1]).length ? iso1 : 'en'
}
