/**
 * Prompt templates with `{{field}}` placeholders (lm-evaluation-harness's doc_to_text, minus
 * Jinja): `{{query}}`, `{{ query }}`, and two filters, `{{query|trim}}` and `{{query|lower}}`.
 * A placeholder naming a field the item lacks is an error naming the item's line.
 */
import { LlmError } from '../errors.js'
import type { SourcedDoc } from './data.js'

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|\s*(trim|lower)\s*)?\}\}/g

export function render(template: string, d: SourcedDoc): string {
  return template.replace(PLACEHOLDER, (_, name: string, filter?: string) => {
    let v: unknown = d.doc
    for (const part of name.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined
    if (v === undefined) throw new LlmError(`missing field '${name}' (used by the prompt template)`, { where: d.where, hint: `fields present: ${Object.keys(d.doc).join(', ') || 'none'}` })
    let s = typeof v === 'string' ? v : JSON.stringify(v)
    if (filter === 'trim') s = s.trim()
    else if (filter === 'lower') s = s.toLowerCase()
    return s
  })
}

/**
 * lm-evaluation-harness's hellaswag `preprocess`: strip, " [title]" → ". ", drop any other
 * [bracketed] marker, collapse double spaces (lm_eval/tasks/hellaswag/utils.py).
 */
export function hellaswagPreprocess(text: string): string {
  return text.trim().replaceAll(' [title]', '. ').replace(/\[.*?\]/g, '').replaceAll('  ', ' ')
}

/**
 * lm-evaluation-harness's wikitext_detokenizer (lm_eval/tasks/wikitext/preprocess_wikitext.py):
 * undoes the WikiText tokenization (" @-@ " → "-", spaces around punctuation and inside
 * brackets/quotes, "= = =" headings) so word/byte counts are those of natural text.
 */
export function wikitextDetokenize(text: string): string {
  let s = text
  s = s.replaceAll("s '", "s'")
  s = s.replaceAll(' @-@ ', '-').replaceAll(' @,@ ', ',').replaceAll(' @.@ ', '.')
  for (const p of [':', ';', '.', '!', '?', ',']) s = s.replaceAll(` ${p} `, `${p} `)
  s = s.replace(/\(\s*([^)]*?)\s*\)/g, '($1)').replace(/\[\s*([^\]]*?)\s*\]/g, '[$1]').replace(/\{\s*([^}]*?)\s*\}/g, '{$1}')
  s = s.replace(/"\s*([^"]*?)\s*"/g, '"$1"').replace(/'\s*([^']*?)\s*'/g, "'$1'")
  s = s.replaceAll('= = = =', '====').replaceAll('= = =', '===').replaceAll('= =', '==')
  s = s.replaceAll(' \u00b0 ', '\u00b0').replaceAll(' \n', '\n').replaceAll('\n ', '\n').replaceAll(' N ', ' 1 ').replaceAll(" 's", "'s")
  return s
}

/** WikiText's token files as documents: one per article (a line ` = Title = `), detokenized. */
export function wikitextArticles(text: string): string[] {
  const lines = text.split('\n')
  const articles: string[] = []
  let cur: string[] = []
  const isTitle = (l: string): boolean => /^ = [^=].* = $/.test(l)
  for (const line of lines) {
    if (isTitle(line) && cur.some((l) => l.trim() !== '')) { articles.push(cur.join('\n')); cur = [] }
    cur.push(line)
  }
  if (cur.some((l) => l.trim() !== '')) articles.push(cur.join('\n'))
  return articles.map((a) => wikitextDetokenize(a.replace(/^\s*\n/, '').trim()))
}
