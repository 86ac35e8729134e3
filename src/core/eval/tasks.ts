/**
 * What a task is and where tasks come from: built-in names (data under ../shared/data beside the
 * checkout, or --data), task files (YAML or JSON), or a bare data file whose shape says the type.
 *
 * Task file (YAML or JSON; paths relative to the file):
 *   task: my_arc                     # name in the results
 *   type: multiple_choice            # multiple_choice | cloze | perplexity | generate | classification | summarization
 *   data: ../data/arc.jsonl          # .jsonl / .json array / .txt (perplexity)
 *   doc_to_text: "{{query}}\nAnswer:" # context template ({{field}}, {{field|trim}})
 *   choices_field: choices           # multiple_choice
 *   gold_field: gold                 # multiple_choice: index or choice text
 *   doc_to_target: "{{continuation}}" # cloze: continuation; generate: reference
 *   references_field: refs           # generate: a list of references instead of doc_to_target
 *   text_field: text                 # perplexity on JSONL
 *   preprocess: hellaswag            # optional: lm-eval's hellaswag text cleanup
 *   target_delimiter: " "            # between context and continuation (lm-eval default)
 *   fewshot_delimiter: "\n\n"
 *   num_fewshot: 0
 *   metrics: [acc, acc_norm]
 *   generation: { max_tokens: 64, until: ["\n"] }
 *   summarize: { method: extractive }  # summarization: see tasks/summarization.ts
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, resolve, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { LlmError, fileError, usageError } from '../errors.js'
import { readJson } from '../json.js'
import { readDocs } from './data.js'
import { SUMMARIZATION_BUILTINS, SUMMARIZATION_FIELDS, SUMMARIZATION_METRICS, parseSummarizeSettings, type SummarizeTaskSettings } from './tasks/summarization.js'
import { resolveTranslationTask, type TranslationResolveOptions } from './tasks/translation.js'

export type TaskType = 'multiple_choice' | 'cloze' | 'perplexity' | 'generate' | 'classification' | 'summarization' | 'translation'

export interface TaskSpec {
  name: string
  type: TaskType
  /** absolute path of the data file */
  data: string
  /** how a perplexity data file is split into documents */
  textFormat?: 'whole' | 'jsonl' | 'wikitext'
  docToText: string
  choicesField?: string
  goldField?: string
  docToTarget?: string
  referencesField?: string
  textField?: string
  preprocess?: 'hellaswag'
  /** classification: the label set (default: the gold labels seen) */
  labels?: string[]
  targetDelimiter: string
  fewshotDelimiter: string
  numFewshot: number
  metrics: string[]
  generation: { maxTokens: number; until: string[] }
  /** summarization: how documents are summarized */
  summarize?: SummarizeTaskSettings
  /** where the task came from (built-in name or file) */
  source: string
  /** translation tasks (translation.ts): the line-aligned reference file (else `data` is JSONL pairs) and the languages */
  translation?: { references?: string; sourceLang?: string; targetLang?: string }
}

/** Every metric each task type can report. */
export const TASK_METRICS: Record<TaskType, string[]> = {
  multiple_choice: ['acc', 'acc_norm'],
  cloze: ['acc', 'perplexity'],
  perplexity: ['token_perplexity', 'word_perplexity', 'byte_perplexity', 'bits_per_byte'],
  generate: ['exact_match', 'bleu', 'chrf', 'rouge1', 'rouge2', 'rougeL'],
  classification: ['acc', 'macro_f1'],
  summarization: SUMMARIZATION_METRICS,
  translation: ['bleu', 'chrf'],
}

const DEFAULTS = { targetDelimiter: ' ', fewshotDelimiter: '\n\n', numFewshot: 0, generation: { maxTokens: 64, until: ['\n'] } }

type Builtin = Omit<TaskSpec, 'data' | 'source' | 'targetDelimiter' | 'fewshotDelimiter' | 'numFewshot' | 'generation'> & { path: string } & Partial<TaskSpec>

/**
 * Built-in tasks over ../shared/data (templates follow lm-evaluation-harness's task YAMLs).
 * hellaswag: the shared file's `ctx` is lm-eval's `activity_label: ctx_a ctx_b` already joined, so
 * lm-eval's capitalization of ctx_b cannot be redone; its `preprocess` is applied to ctx and endings.
 * wikitext: the shared copy is the *tokenized* WikiText-2 (with <unk>), split into articles and
 * detokenized with lm-eval's wikitext_detokenizer; lm-eval scores the raw release, so numbers differ.
 */
export const BUILTIN_TASKS: Record<string, Builtin> = {
  arc_easy: { name: 'arc_easy', type: 'multiple_choice', path: 'evals/arc_easy.jsonl', docToText: '{{query|trim}}\nAnswer:', choicesField: 'choices', goldField: 'gold', metrics: ['acc', 'acc_norm'] },
  piqa: { name: 'piqa', type: 'multiple_choice', path: 'evals/piqa.jsonl', docToText: '{{query|trim}}\nAnswer:', choicesField: 'choices', goldField: 'gold', metrics: ['acc', 'acc_norm'] },
  hellaswag: { name: 'hellaswag', type: 'multiple_choice', path: 'hellaswag/hellaswag_val_first1000.jsonl', docToText: '{{ctx}}', choicesField: 'endings', goldField: 'label', preprocess: 'hellaswag', metrics: ['acc', 'acc_norm'] },
  lambada_openai: { name: 'lambada_openai', type: 'cloze', path: 'evals/lambada_openai.jsonl', docToText: '{{context}}', docToTarget: '{{continuation}}', metrics: ['acc', 'perplexity'] },
  wikitext: { name: 'wikitext', type: 'perplexity', path: 'wikitext2/wiki.test.tokens', textFormat: 'wikitext', docToText: '', metrics: ['word_perplexity', 'byte_perplexity', 'bits_per_byte', 'token_perplexity'] },
  tinyshakespeare: { name: 'tinyshakespeare', type: 'perplexity', path: 'tinyshakespeare/input.txt', textFormat: 'whole', docToText: '', metrics: ['token_perplexity', 'word_perplexity', 'byte_perplexity', 'bits_per_byte'] },
  ...SUMMARIZATION_BUILTINS,
  xsum_tldr: { name: 'xsum_tldr', type: 'generate', path: 'summarization/xsum_DOC_tldr.jsonl', docToText: '{{prompt}}', docToTarget: '{{completion}}', metrics: ['rouge1', 'rouge2', 'rougeL'], generation: { maxTokens: 64, until: ['\n'] } },
}

/** ../shared/data beside the checkout this module lives in (src/ or dist/src/). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LLM_EVAL_DATA) return resolve(env.LLM_EVAL_DATA)
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(resolve(dir, 'package.json'))) return resolve(dir, '../shared/data')
    dir = dirname(dir)
  }
  return resolve('../shared/data')
}

export interface FormatOverrides {
  /** force the shape of a bare data file */
  format?: 'multiple_choice' | 'hellaswag' | 'cloze' | 'perplexity' | 'generate' | 'classification' | 'summarization'
  contextField?: string
  choicesField?: string
  goldField?: string
  targetField?: string
  textField?: string
}

export interface ResolveOptions extends FormatOverrides, Omit<TranslationResolveOptions, 'data' | 'env'> {
  /** a data file replacing a built-in's (or a task file's) */
  data?: string
  env?: NodeJS.ProcessEnv
}

/** TASK (built-in name), a task file (.yaml/.yml/.json with a `type`), or a data file. */
export function resolveTask(nameOrFile: string, opts: ResolveOptions = {}): TaskSpec {
  const translation = resolveTranslationTask(nameOrFile, opts)
  if (translation) return translation
  const builtin = BUILTIN_TASKS[nameOrFile]
  if (builtin) {
    const { path, ...rest } = builtin
    const data = opts.data ? resolve(opts.data) : resolve(defaultDataDir(opts.env), path)
    if (!existsSync(data)) throw new LlmError(`data for built-in task '${nameOrFile}' not found`, { where: data, hint: 'give the file with --data PATH (or set LLM_EVAL_DATA to a folder laid out like ../shared/data)' })
    return { ...DEFAULTS, ...rest, data, source: `builtin:${nameOrFile}` }
  }
  if (!existsSync(nameOrFile)) {
    throw usageError(`unknown task '${nameOrFile}': not a built-in task and no such file`, { where: 'TASK', hint: `built-in tasks: ${Object.keys(BUILTIN_TASKS).join(', ')}; or give a .jsonl/.txt data file or a .yaml task file` })
  }
  const ext = extname(nameOrFile).toLowerCase()
  if (ext === '.yaml' || ext === '.yml') return taskFromFile(nameOrFile, opts)
  if (ext === '.json') {
    const v = tryJson(nameOrFile)
    if (v && !Array.isArray(v) && typeof v === 'object' && 'type' in v) return taskFromFile(nameOrFile, opts)
  }
  return taskFromData(nameOrFile, opts)
}

/** a .json file's value, or undefined when it is not JSON (then it is read as data, and that names the error) */
function tryJson(file: string): unknown {
  try { return readJson(file) } catch { return undefined }
}

const str = (v: unknown, key: string, file: string): string | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new LlmError(`'${key}' must be a string`, { where: file })
  return v
}

function taskFromFile(file: string, opts: ResolveOptions): TaskSpec {
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw fileError(file, err)
    throw new LlmError(`not a valid task file: ${(err as Error).message.split('\n')[0]}`, { where: file })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LlmError('a task file must be a mapping (task, type, data, …)', { where: file })
  const t = raw as Record<string, unknown>
  const known = new Set(['task', 'type', 'data', 'doc_to_text', 'choices_field', 'gold_field', 'doc_to_target', 'references_field', 'text_field', 'text_format', 'preprocess', 'target_delimiter', 'fewshot_delimiter', 'num_fewshot', 'metrics', 'generation', 'labels', 'summarize'])
  for (const k of Object.keys(t)) if (!known.has(k)) throw new LlmError(`unknown key '${k}'`, { where: file, hint: `keys: ${[...known].join(', ')}` })
  const type = t.type as TaskType
  if (!(type in TASK_METRICS)) throw new LlmError(`'type' must be one of ${Object.keys(TASK_METRICS).join(', ')}, got ${JSON.stringify(t.type)}`, { where: file })
  const dataRel = opts.data ?? str(t.data, 'data', file)
  if (!dataRel) throw new LlmError("missing 'data' (the data file, relative to the task file)", { where: file })
  const data = opts.data ? resolve(opts.data) : resolve(dirname(file), dataRel)
  const metrics = t.metrics === undefined ? TASK_METRICS[type] : t.metrics
  if (!Array.isArray(metrics) || !metrics.every((m) => typeof m === 'string' && TASK_METRICS[type].includes(m))) {
    throw new LlmError(`'metrics' must be a list drawn from ${TASK_METRICS[type].join(', ')}`, { where: file })
  }
  const gen = (t.generation ?? {}) as Record<string, unknown>
  const numFewshot = t.num_fewshot ?? 0
  if (typeof numFewshot !== 'number' || !Number.isInteger(numFewshot) || numFewshot < 0) throw new LlmError("'num_fewshot' must be an integer >= 0", { where: file })
  const preprocess = str(t.preprocess, 'preprocess', file)
  if (preprocess !== undefined && preprocess !== 'hellaswag') throw new LlmError("'preprocess' can only be 'hellaswag'", { where: file })
  const textFormat = str(t.text_format, 'text_format', file) as TaskSpec['textFormat']
  if (textFormat !== undefined && !['whole', 'jsonl', 'wikitext'].includes(textFormat)) throw new LlmError("'text_format' must be whole, jsonl or wikitext", { where: file })
  return {
    name: str(t.task, 'task', file) ?? basename(file, extname(file)),
    type, data, preprocess, textFormat: textFormat ?? (type === 'perplexity' ? (data.endsWith('.jsonl') ? 'jsonl' : 'whole') : undefined),
    docToText: str(t.doc_to_text, 'doc_to_text', file) ?? (type === 'perplexity' ? '' : '{{query}}'),
    choicesField: str(t.choices_field, 'choices_field', file) ?? 'choices',
    goldField: str(t.gold_field, 'gold_field', file) ?? 'gold',
    docToTarget: str(t.doc_to_target, 'doc_to_target', file),
    referencesField: str(t.references_field, 'references_field', file),
    textField: str(t.text_field, 'text_field', file) ?? 'text',
    labels: Array.isArray(t.labels) ? t.labels.map(String) : undefined,
    targetDelimiter: str(t.target_delimiter, 'target_delimiter', file) ?? DEFAULTS.targetDelimiter,
    fewshotDelimiter: str(t.fewshot_delimiter, 'fewshot_delimiter', file) ?? DEFAULTS.fewshotDelimiter,
    numFewshot,
    metrics: metrics as string[],
    generation: {
      maxTokens: typeof gen.max_tokens === 'number' ? gen.max_tokens : DEFAULTS.generation.maxTokens,
      until: Array.isArray(gen.until) ? (gen.until as string[]) : DEFAULTS.generation.until,
    },
    ...(type === 'summarization' ? { summarize: parseSummarizeSettings(t.summarize, file), docToText: str(t.doc_to_text, 'doc_to_text', file) ?? '{{document}}', docToTarget: str(t.doc_to_target, 'doc_to_target', file) ?? '{{summary}}' } : {}),
    source: file,
  }
}

/** A bare data file: .txt is perplexity; JSONL is typed by its first item's fields (or --format). */
function taskFromData(file: string, opts: ResolveOptions): TaskSpec {
  const name = basename(file, extname(file))
  const base = { ...DEFAULTS, name, data: resolve(file), source: file }
  const ext = extname(file).toLowerCase()
  let format = opts.format
  if (!format) {
    if (ext !== '.jsonl' && ext !== '.json') format = 'perplexity'
    else {
      const first = readDocs(file)[0]
      if (!first) throw new LlmError('the data file has no items', { where: file })
      const has = (...k: string[]): boolean => k.every((x) => x in first.doc)
      if (opts.contextField || opts.choicesField || opts.goldField) format = opts.choicesField || opts.goldField ? 'multiple_choice' : 'cloze'
      else if (has('query', 'choices', 'gold')) format = 'multiple_choice'
      else if (has('ctx', 'endings', 'label')) format = 'hellaswag'
      else if (has('context', 'continuation')) format = 'cloze'
      else if (has('prompt', 'completion')) format = 'generate'
      else if (has(...SUMMARIZATION_FIELDS)) format = 'summarization'
      else if (has('text', 'label')) format = 'classification'
      else if (has('text')) format = 'perplexity'
      else throw new LlmError(`cannot tell the task type from the fields ${Object.keys(first.doc).join(', ')}`, { where: first.where, hint: 'expected {query, choices, gold}, {ctx, endings, label}, {context, continuation}, {prompt, completion}, {document, summary} or {text}; or give --format and the --*-field flags' })
    }
  }
  const ctx = (f: string): string => `{{${opts.contextField ?? f}}}`
  switch (format) {
    case 'multiple_choice':
      return { ...base, type: 'multiple_choice', docToText: ctx('query'), choicesField: opts.choicesField ?? 'choices', goldField: opts.goldField ?? 'gold', metrics: TASK_METRICS.multiple_choice }
    case 'hellaswag':
      return { ...base, type: 'multiple_choice', docToText: ctx('ctx'), choicesField: opts.choicesField ?? 'endings', goldField: opts.goldField ?? 'label', preprocess: 'hellaswag', metrics: TASK_METRICS.multiple_choice }
    case 'cloze':
      return { ...base, type: 'cloze', docToText: ctx('context'), docToTarget: `{{${opts.targetField ?? 'continuation'}}}`, metrics: TASK_METRICS.cloze }
    case 'generate':
      return { ...base, type: 'generate', docToText: ctx('prompt'), docToTarget: `{{${opts.targetField ?? 'completion'}}}`, metrics: TASK_METRICS.generate }
    case 'classification':
      return { ...base, type: 'classification', docToText: '', textField: opts.textField ?? 'text', goldField: opts.goldField ?? 'label', metrics: TASK_METRICS.classification }
    case 'summarization':
      return { ...base, type: 'summarization', docToText: ctx('document'), docToTarget: `{{${opts.targetField ?? 'summary'}}}`, metrics: SUMMARIZATION_METRICS }
    case 'perplexity':
      return { ...base, type: 'perplexity', docToText: '', textFormat: ext === '.jsonl' || ext === '.json' ? 'jsonl' : 'whole', textField: opts.textField ?? 'text', metrics: TASK_METRICS.perplexity }
    default:
      throw usageError(`unknown format '${String(format)}'`, { where: '--format' })
  }
}
