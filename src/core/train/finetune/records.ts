/**
 * Fine-tuning records: JSONL (one object per line) or a JSON array, in the ecosystem's formats,
 * checked field by field and normalised to `Sample`s that remember where they came from:
 *
 *   alpaca             {instruction, input?, output}                  (Stanford Alpaca)
 *   messages           {messages: [{role, content}]}                  (OpenAI chat)
 *   sharegpt           {conversations: [{from, value}]}               (ShareGPT; human/gpt/system)
 *   prompt-completion  {prompt, completion}                           (TRL)
 *   text               {text}                                         (continued pretraining)
 *   tokenized          {input_ids: [...], labels?: [...]}             (labels −100 = not trained,
 *                                                                      aligned with input_ids)
 * `auto` detects the format from the first record of each file (and says what it found).
 */
import { LlmError, usageError } from '../../errors.js'
import { parseJson, parseJsonl, readTextFile } from '../../json.js'
import type { ChatMessage } from '../../model/chat-template.js'
import type { DataFormat } from '../options.js'

export type Format = Exclude<DataFormat, 'auto'>

export type Sample =
  | { where: string; kind: 'chat'; messages: ChatMessage[] }
  | { where: string; kind: 'alpaca'; instruction: string; input: string; output: string }
  | { where: string; kind: 'pair'; prompt: string; completion: string }
  | { where: string; kind: 'text'; text: string }
  | { where: string; kind: 'tokens'; inputIds: number[]; labels?: number[] }

export interface DataFileSamples { file: string; format: Format; detected: boolean; samples: Sample[] }

type Json = Record<string, unknown>

/** the JSON values of a file: the elements of a top-level array, or one value per JSONL line */
function readRecords(file: string): { value: unknown; where: string }[] {
  const text = readTextFile(file)
  if (text.trimStart().startsWith('[')) {
    const arr = parseJson(text, file, { hint: 'a .json data file holds one array of records; use JSONL for one record per line' }) as unknown[]
    return arr.map((value, i) => ({ value, where: `${file}: record ${i + 1}` }))
  }
  return [...parseJsonl(text, file, { hint: 'JSONL data needs one JSON object per line' })].map(({ value, line }) => ({ value, where: `${file}:${line}` }))
}

/** which format a record is in, from its keys (undefined: none) */
export function detectFormat(r: unknown): Format | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return undefined
  const o = r as Json
  if ('input_ids' in o) return 'tokenized'
  if ('messages' in o) return 'messages'
  if ('conversations' in o) return 'sharegpt'
  if ('instruction' in o && 'output' in o) return 'alpaca'
  if ('prompt' in o && 'completion' in o) return 'prompt-completion'
  if ('text' in o) return 'text'
  return undefined
}

const NEEDS: Record<Format, string> = {
  alpaca: '{"instruction", "input"?, "output"}',
  messages: '{"messages": [{"role", "content"}]}',
  sharegpt: '{"conversations": [{"from", "value"}]}',
  'prompt-completion': '{"prompt", "completion"}',
  text: '{"text"}',
  tokenized: '{"input_ids": [...], "labels"?: [...]}',
}

const SHAREGPT_ROLES: Record<string, string> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', system: 'system', chatgpt: 'assistant', bing: 'assistant', bard: 'assistant' }

function toSample(value: unknown, where: string, format: Format): Sample {
  const bad = (what: string): never => { throw new LlmError(what, { where, hint: `--format ${format} records look like ${NEEDS[format]}` }) }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('not a JSON object')
  const o = value as Json
  const str = (k: string, optional = false): string => {
    const v = o[k]
    if (v === undefined && optional) return ''
    if (typeof v !== 'string') bad(`"${k}" is missing or not a string`)
    return v as string
  }
  const ints = (k: string): number[] => {
    const v = o[k]
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) bad(`"${k}" must be an array of integers`)
    return v as number[]
  }
  switch (format) {
    case 'alpaca': return { where, kind: 'alpaca', instruction: str('instruction'), input: str('input', true), output: str('output') }
    case 'prompt-completion': return { where, kind: 'pair', prompt: str('prompt'), completion: str('completion') }
    case 'text': return { where, kind: 'text', text: str('text') }
    case 'tokenized': {
      const inputIds = ints('input_ids')
      if (o.labels === undefined) return { where, kind: 'tokens', inputIds }
      const labels = ints('labels')
      if (labels.length !== inputIds.length) bad(`"labels" has ${labels.length} entries, "input_ids" ${inputIds.length}: they must be aligned`)
      return { where, kind: 'tokens', inputIds, labels }
    }
    case 'messages':
    case 'sharegpt': {
      const key = format === 'messages' ? 'messages' : 'conversations'
      const list = o[key]
      if (!Array.isArray(list) || list.length === 0) bad(`"${key}" must be a non-empty array`)
      const messages = (list as unknown[]).map((m, i): ChatMessage => {
        const t = m as Json | null
        const role = format === 'messages' ? t?.role : SHAREGPT_ROLES[String(t?.from)]
        const content = format === 'messages' ? t?.content : t?.value
        if (typeof role !== 'string') bad(`${key}[${i}] has no ${format === 'messages' ? '"role"' : 'known "from" (human, gpt, system)'}`)
        if (typeof content !== 'string') bad(`${key}[${i}] has no string ${format === 'messages' ? '"content"' : '"value"'}`)
        return { role: role as string, content: content as string }
      })
      return { where, kind: 'chat', messages }
    }
  }
}

/** Read one data file in `format` (auto: detected from its first record). */
export function readSamples(file: string, format: DataFormat): DataFileSamples {
  const records = readRecords(file)
  if (records.length === 0) throw usageError('no records in this data file', { where: file })
  let f: Format
  if (format === 'auto') {
    const d = detectFormat(records[0].value)
    if (!d) throw new LlmError('cannot tell the record format', { where: records[0].where, hint: `pass --format; known: ${Object.entries(NEEDS).map(([k, v]) => `${k} ${v}`).join(', ')}` })
    f = d
  } else f = format
  return { file, format: f, detected: format === 'auto', samples: records.map((r) => toSample(r.value, r.where, f)) }
}
