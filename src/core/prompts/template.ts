/**
 * Prompt templates (YAML): a system message, a prompt with `{{input}}` and named variables,
 * few-shot examples and default generation options.
 *
 *   name: translate                      # default: the file's name
 *   description: Translate text
 *   system: You are a translator.
 *   prompt: |
 *     Translate the text into {{target}}.{{#register}} Use a {{register}} register.{{/register}}
 *     {{input}}
 *   variables:                           # every variable the prompt uses besides those the
 *     target: French                     # command supplies (input, …), with its default;
 *     register: ""                       # null = must be given with -p
 *   examples:                            # few-shot: earlier turns (input through the prompt)
 *     - input: Good morning
 *       output: Bonjour
 *   options: { temperature: 0.2, max_tokens: 200, stop: ["\n\n"] }
 *
 * Placeholders: `{{name}}`; `{{#name}}…{{/name}}` keeps its body when the value is not empty,
 * `{{^name}}…{{/name}}` when it is. A placeholder naming no variable is an error, and so is a
 * value given for a variable the template does not have. `{{input}}` is always filled with the
 * delimited data block (delimit.ts), never the raw text.
 */
import { LlmError } from '../errors.js'

export interface TemplateOptions {
  temperature?: number
  top_k?: number
  top_p?: number
  min_p?: number
  repeat_penalty?: number
  max_tokens?: number
  seed?: number
  stop?: string[]
}

export interface TemplateExample { input: string; output: string }

export interface PromptTemplate {
  name: string
  description: string
  system?: string
  prompt: string
  /** name → default (null: required) */
  variables: Record<string, string | null>
  examples: TemplateExample[]
  options: TemplateOptions
  /** 'builtin' or the file it came from (named in errors) */
  source: string
}

const KEYS = ['name', 'description', 'system', 'prompt', 'variables', 'examples', 'options']
const OPTION_KEYS: Record<keyof TemplateOptions, 'number' | 'integer' | 'strings'> = {
  temperature: 'number', top_k: 'integer', top_p: 'number', min_p: 'number', repeat_penalty: 'number', max_tokens: 'integer', seed: 'integer', stop: 'strings',
}
const NAME = /^[A-Za-z_][\w-]*$/
const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z_][\w-]*)\s*\}\}/g

/** Check a parsed YAML value and build a template; errors name `source`. */
export function toTemplate(raw: unknown, source: string, defaultName: string): PromptTemplate {
  const fail = (msg: string, hint?: string): never => { throw new LlmError(msg, { where: source, hint }) }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('a prompt template must be a mapping (system, prompt, variables, examples, options)')
  const t = raw as Record<string, unknown>
  for (const k of Object.keys(t)) if (!KEYS.includes(k)) fail(`unknown key '${k}'`, `keys: ${KEYS.join(', ')}`)
  const str = (k: string): string | undefined => {
    const v = t[k]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string') fail(`'${k}' must be a string`)
    return v as string
  }
  const prompt = str('prompt')
  if (prompt === undefined) fail("missing 'prompt' (the text sent to the model, with {{input}} where the input goes)")
  const name = str('name') ?? defaultName
  if (!NAME.test(name)) fail(`template name '${name}' must be letters, digits, '_' or '-'`)

  const variables: Record<string, string | null> = {}
  if (t.variables !== undefined && t.variables !== null) {
    if (typeof t.variables !== 'object' || Array.isArray(t.variables)) fail("'variables' must be a mapping of name: default")
    for (const [k, v] of Object.entries(t.variables as object)) {
      if (!NAME.test(k)) fail(`variable name '${k}' must be letters, digits, '_' or '-'`)
      if (k === 'input') fail("'input' is not a variable to declare: it is always the command's input text")
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(`variable '${k}' needs a text default (or null when it must be given)`)
      variables[k] = v === null ? null : String(v)
    }
  }
  const examples: TemplateExample[] = []
  if (t.examples !== undefined && t.examples !== null) {
    if (!Array.isArray(t.examples)) fail("'examples' must be a list of {input, output}")
    ;(t.examples as unknown[]).forEach((e, i) => {
      const o = e as Record<string, unknown>
      if (typeof o !== 'object' || o === null || typeof o.input !== 'string' || typeof o.output !== 'string') fail(`examples[${i}] must have string 'input' and 'output'`)
      examples.push({ input: o.input as string, output: o.output as string })
    })
  }
  const options: TemplateOptions = {}
  if (t.options !== undefined && t.options !== null) {
    if (typeof t.options !== 'object' || Array.isArray(t.options)) fail("'options' must be a mapping")
    for (const [k, v] of Object.entries(t.options as object)) {
      const kind = OPTION_KEYS[k as keyof TemplateOptions]
      if (!kind) fail(`unknown option '${k}'`, `options: ${Object.keys(OPTION_KEYS).join(', ')}`)
      const ok = kind === 'strings' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
        : typeof v === 'number' && Number.isFinite(v) && (kind === 'number' || Number.isInteger(v))
      if (!ok) fail(`option '${k}' must be ${kind === 'strings' ? 'a list of strings' : kind === 'integer' ? 'an integer' : 'a number'}`)
      ;(options as Record<string, unknown>)[k] = v
    }
  }
  const tpl: PromptTemplate = { name, description: str('description') ?? '', system: str('system'), prompt: prompt!, variables, examples, options, source }
  for (const text of [tpl.system ?? '', tpl.prompt]) checkSections(text, source)
  return tpl
}

/** The variable names a text uses. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(TAG)].map((m) => m[2]!))]
}

function checkSections(text: string, source: string): void {
  const open: string[] = []
  for (const m of text.matchAll(TAG)) {
    if (m[1] === '#' || m[1] === '^') open.push(m[2]!)
    else if (m[1] === '/') {
      if (open.pop() !== m[2]) throw new LlmError(`'{{/${m[2]}}}' closes no open '{{#${m[2]}}}' section`, { where: source })
    }
  }
  if (open.length) throw new LlmError(`the section '{{#${open.at(-1)}}}' is never closed`, { where: source, hint: `end it with {{/${open.at(-1)}}}` })
}

/**
 * Fill the placeholders of `text` from `values`. A name with no value is an unknown variable:
 * an error naming the template and the variables it can use.
 */
export function fill(text: string, values: Readonly<Record<string, string>>, source: string): string {
  const unknown = placeholders(text).find((n) => !(n in values))
  if (unknown !== undefined) {
    throw new LlmError(`unknown template variable '{{${unknown}}}'`, {
      where: source, hint: `declare it under 'variables:' or use one of: ${Object.keys(values).map((k) => `{{${k}}}`).join(', ')}`,
    })
  }
  // sections first (innermost first, so nested ones resolve), then plain placeholders
  let out = text
  const section = /\{\{\s*([#^])\s*([A-Za-z_][\w-]*)\s*\}\}((?:(?!\{\{\s*[#^])[\s\S])*?)\{\{\s*\/\s*\2\s*\}\}/
  for (let m = section.exec(out); m; m = section.exec(out)) {
    const on = (values[m[2]!] ?? '') !== ''
    out = out.slice(0, m.index) + ((m[1] === '#') === on ? m[3]! : '') + out.slice(m.index + m[0].length)
  }
  return out.replace(TAG, (_, _kind: string, name: string) => values[name]!)
}
