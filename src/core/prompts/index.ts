/**
 * Prompt templates: where they come from (`-t NAME|FILE`), and how they become a prompt.
 *
 *   const t = resolveTemplate('translate')          // a file path, a name in templatesDir(), or a built-in
 *   const b = buildPrompt(t, { input, params: { target: 'French' }, chat: model.hasChatTemplate })
 *   b.prompt                                        // { messages } or one text; b.options: sampling defaults
 *   listTemplates()                                 // built-ins and the user's, for `llm templates list`
 *
 * User templates: $LLM_TEMPLATES, else $XDG_CONFIG_HOME/llm/templates, else ~/.config/llm/templates
 * (NAME.yaml or NAME.yml); a user template of a built-in's name replaces it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, extname, join, resolve } from 'node:path'
import { Document, isScalar, isSeq, parse as parseYaml } from 'yaml'
import { LlmError, fileError, usageError } from '../errors.js'
import { BUILTIN_TEMPLATES } from './builtins.js'
import { toTemplate, type PromptTemplate } from './template.js'

export { buildPrompt, checkTemplate, templateValues, generationDefaults, withDefaults, templateForChat, type BuildPromptOptions, type BuiltPrompt, type ChatTemplateParts } from './build.js'
export { delimiter, type Delimiter } from './delimit.js'
export { fill, placeholders, toTemplate, type PromptTemplate, type TemplateOptions, type TemplateExample } from './template.js'
export { BUILTIN_TEMPLATES } from './builtins.js'
export { pairParams, parseParams } from './params.js'

export function templatesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LLM_TEMPLATES) return resolve(env.LLM_TEMPLATES)
  return join(env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config'), 'llm', 'templates')
}

const EXTS = ['.yaml', '.yml']

export function loadTemplateFile(file: string): PromptTemplate {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw fileError(file, err, 'cannot read template')
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new LlmError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`, { where: file })
  }
  return toTemplate(raw, file, basename(file, extname(file)))
}

/** `-t` value: a file (a path that exists, or ends in .yaml/.yml), a user template name, or a built-in. */
export function resolveTemplate(spec: string, env: NodeJS.ProcessEnv = process.env): PromptTemplate {
  const looksLikeFile = EXTS.includes(extname(spec).toLowerCase()) || spec.includes('/') || spec.includes('\\')
  if ((existsSync(spec) && statSync(spec).isFile()) || looksLikeFile) return loadTemplateFile(spec)
  const dir = templatesDir(env)
  for (const ext of EXTS) if (existsSync(join(dir, spec + ext))) return loadTemplateFile(join(dir, spec + ext))
  const t = BUILTIN_TEMPLATES[spec]
  if (t) return t
  throw usageError(`unknown template '${spec}'`, { where: '-t', hint: `built-in templates: ${Object.keys(BUILTIN_TEMPLATES).join(', ')}; or a .yaml file; or NAME.yaml in ${dir}` })
}

export interface TemplateEntry { name: string; description: string; source: string }

/** Built-ins, then the user's (a user file of a built-in's name replaces it); sorted by name. */
export function listTemplates(env: NodeJS.ProcessEnv = process.env): TemplateEntry[] {
  const out = new Map<string, TemplateEntry>()
  for (const t of Object.values(BUILTIN_TEMPLATES)) out.set(t.name, { name: t.name, description: t.description, source: 'builtin' })
  const dir = templatesDir(env)
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      if (!EXTS.includes(extname(f).toLowerCase())) continue
      const t = loadTemplateFile(join(dir, f))
      out.set(basename(f, extname(f)), { name: basename(f, extname(f)), description: t.description, source: join(dir, f) })
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** A template as the YAML file that would define it. */
export function templateToYaml(t: PromptTemplate): string {
  const o: Record<string, unknown> = { name: t.name, description: t.description }
  if (t.system !== undefined) o.system = t.system
  o.prompt = t.prompt
  if (Object.keys(t.variables).length) o.variables = t.variables
  if (t.examples.length) o.examples = t.examples
  if (Object.keys(t.options).length) o.options = t.options
  const doc = new Document(o)
  // stop strings are mostly white space: quoted, they stay readable ("\n" rather than a block)
  const stop = doc.getIn(['options', 'stop'], true)
  if (isSeq(stop)) for (const item of stop.items) if (isScalar(item)) item.type = 'QUOTE_DOUBLE'
  return doc.toString({ lineWidth: 0 })
}
