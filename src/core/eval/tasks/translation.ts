/**
 * The translation task: parallel data — a source file and a reference file with one sentence per
 * line (`--src`, `--ref`), or JSONL with {source, target} / {src, tgt|ref} / HF datasets'
 * {translation: {en: …, fr: …}} — translated with any Translator (`llm translate`'s models) and
 * scored with corpus BLEU and chrF exactly as sacrebleu 2.0 computes them (metrics/), with the
 * sacrebleu signatures in the results. Built-in tasks read ../shared/data/translation:
 *   flores200_en_fr / flores200_fr_en  FLORES-200 devtest (1,012 sentences, CC-BY-SA 4.0)
 *   tico19_en_fr / tico19_fr_en        TICO-19 test (2,100 sentences, COVID-19 domain, CC0)
 *   multi30k_en_fr / multi30k_fr_en    Multi30k test 2016 (1,000 image captions)
 * A line translates as `llm translate` translates it (a long one is split and rejoined).
 */
import { existsSync } from 'node:fs'
import { basename, extname, resolve } from 'node:path'
import { LlmError, usageError } from '../../errors.js'
import { translateDocument } from '../../translate/document.js'
import type { Translator } from '../../translate/translator.js'
import { aggregate, type SampleRecord, type TaskResult } from '../aggregate.js'
import { readDocs, readText } from '../data.js'
import { SACREBLEU_VERSION } from '../metrics/bleu.js'
import { defaultDataDir, type TaskSpec } from '../tasks.js'

interface Builtin { src: string; ref: string; from: string; to: string }

const pair = (dir: string, a: string, b: string, from: string, to: string): Builtin => ({ src: `${dir}${a}`, ref: `${dir}${b}`, from, to })

export const TRANSLATION_TASKS: Record<string, Builtin> = {
  flores200_en_fr: pair('translation/flores200/', 'eng_Latn.devtest', 'fra_Latn.devtest', 'en', 'fr'),
  flores200_fr_en: pair('translation/flores200/', 'fra_Latn.devtest', 'eng_Latn.devtest', 'fr', 'en'),
  tico19_en_fr: pair('translation/tico19/', 'tico19-test.en', 'tico19-test.fr', 'en', 'fr'),
  tico19_fr_en: pair('translation/tico19/', 'tico19-test.fr', 'tico19-test.en', 'fr', 'en'),
  multi30k_en_fr: pair('translation/', 'test_2016_flickr.en', 'test_2016_flickr.fr', 'en', 'fr'),
  multi30k_fr_en: pair('translation/', 'test_2016_flickr.fr', 'test_2016_flickr.en', 'fr', 'en'),
}

export interface TranslationResolveOptions {
  /** source sentences, one per line */
  src?: string
  /** reference translations, line-aligned with --src */
  ref?: string
  from?: string
  to?: string
  /** a data file replacing a built-in's source (its references stay) */
  data?: string
  env?: NodeJS.ProcessEnv
}

function spec(name: string, data: string, references: string | undefined, from: string | undefined, to: string | undefined, source: string): TaskSpec {
  return {
    name, type: 'translation', data, docToText: '', targetDelimiter: ' ', fewshotDelimiter: '\n\n', numFewshot: 0, metrics: ['bleu', 'chrf'],
    generation: { maxTokens: 0, until: [] }, source, translation: { references, sourceLang: from, targetLang: to },
  }
}

/** A translation task for TASK (a built-in name, 'translation' with --src/--ref, or a translation-shaped JSONL), else undefined. */
export function resolveTranslationTask(nameOrFile: string, o: TranslationResolveOptions = {}): TaskSpec | undefined {
  const b = TRANSLATION_TASKS[nameOrFile]
  if (b) {
    const dir = defaultDataDir(o.env)
    const src = o.data ? resolve(o.data) : resolve(dir, b.src)
    const ref = o.ref ? resolve(o.ref) : resolve(dir, b.ref)
    for (const f of [src, ref]) if (!existsSync(f)) throw new LlmError(`data for built-in task '${nameOrFile}' not found`, { where: f, hint: 'give the files with --src/--ref (or set LLM_EVAL_DATA to a folder laid out like ../shared/data)' })
    return spec(nameOrFile, src, ref, o.from ?? b.from, o.to ?? b.to, `builtin:${nameOrFile}`)
  }
  if (nameOrFile === 'translation' || o.src) {
    const src = o.src ?? (nameOrFile !== 'translation' ? nameOrFile : undefined)
    if (!src) throw usageError('the translation task needs --src (and --ref), or a JSONL of {source, target}', { where: '--src' })
    if (!existsSync(src)) throw new LlmError('no such file', { where: src })
    const jsonl = ['.jsonl', '.json'].includes(extname(src).toLowerCase())
    if (!jsonl && !o.ref) throw usageError('--src needs --ref (the reference translations, one per line)', { where: '--ref' })
    if (o.ref && !existsSync(o.ref)) throw new LlmError('no such file', { where: o.ref })
    return spec(basename(src, extname(src)), resolve(src), o.ref ? resolve(o.ref) : undefined, o.from, o.to, src)
  }
  const ext = extname(nameOrFile).toLowerCase()
  if ((ext === '.jsonl' || ext === '.json') && existsSync(nameOrFile)) {
    let first: Record<string, unknown> | undefined
    try { first = readDocs(nameOrFile)[0]?.doc } catch { return undefined } // not data (a .json task file): not ours to judge
    if (first && pairOf(first, o.from, o.to, nameOrFile) !== undefined) return spec(basename(nameOrFile, ext), resolve(nameOrFile), undefined, o.from, o.to, nameOrFile)
  }
  return undefined
}

/** {source, target} | {src, tgt|ref|reference} | {translation: {FROM: …, TO: …}} → [source, reference] */
function pairOf(d: Record<string, unknown>, from: string | undefined, to: string | undefined, where: string): [string, string] | undefined {
  const str = (v: unknown): v is string => typeof v === 'string'
  if (str(d.source) && str(d.target)) return [d.source, d.target]
  const ref = d.tgt ?? d.ref ?? d.reference
  if (str(d.src) && str(ref)) return [d.src, ref]
  const t = d.translation
  if (t && typeof t === 'object' && !Array.isArray(t)) {
    const langs = Object.keys(t)
    const tr = t as Record<string, unknown>
    const f = from ?? langs[0], g = to ?? langs.find((k) => k !== f)
    if (f && g && str(tr[f]) && str(tr[g])) return [tr[f] as string, tr[g] as string]
    throw new LlmError(`cannot tell source and target in translation {${langs.join(', ')}}`, { where, hint: 'give --from and --to' })
  }
  return undefined
}

/** [source, reference, where] of every item. */
export function readPairs(task: TaskSpec): [string, string, string][] {
  const refs = task.translation?.references
  const lines = (file: string): string[] => { const t = readText(file).split('\n'); if (t[t.length - 1] === '') t.pop(); return t.map((l) => l.replace(/\r$/, '')) }
  if (refs) {
    const s = lines(task.data), r = lines(refs)
    if (s.length !== r.length) throw new LlmError(`${s.length} source lines but ${r.length} reference lines`, { where: refs, hint: 'the files must be line-aligned' })
    if (s.length === 0) throw new LlmError('the source file is empty', { where: task.data })
    return s.map((x, i) => [x, r[i]!, `${task.data}:${i + 1}`])
  }
  return readDocs(task.data).map((d) => {
    const p = pairOf(d.doc, task.translation?.sourceLang, task.translation?.targetLang, d.where)
    if (!p) throw new LlmError('expected {source, target}, {src, tgt} or {translation: {…}}', { where: d.where })
    return [...p, d.where]
  })
}

export interface TranslationRunOptions {
  limit?: number
  batchSize?: number
  onProgress?: (done: number, total: number) => void
}

/** Translate every source line and score the corpus against the references. */
export async function runTranslationTask(t: Translator, task: TaskSpec, o: TranslationRunOptions = {}): Promise<TaskResult> {
  const all = readPairs(task)
  const items = all.slice(0, o.limit ?? all.length)
  if (items.some(([s]) => s.includes('\n'))) throw new LlmError('a source holds a newline', { where: task.data })
  const doc = await translateDocument(t, items.map(([s]) => s).join('\n') + '\n', { layout: 'lines', batchSize: o.batchSize, onProgress: o.onProgress })
  const samples: SampleRecord[] = items.map(([source, ref, where], i) => ({
    doc_id: i, where, arguments: [[source, '']], loglikelihoods: [], prediction: doc.units[i]!.translation, references: [ref],
  }))
  const result = aggregate(task, samples, all.length)
  result.signatures = {
    bleu: `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:${SACREBLEU_VERSION}`,
    chrf: `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:${SACREBLEU_VERSION}`,
  }
  return result
}
