/**
 * A template + input + variable values → what the model is sent: chat messages for a model with
 * a chat template (system, few-shot turns, the user turn), else one raw text prompt (the same
 * parts joined by blank lines). The input (and each example's input) goes in as a delimited data
 * block with a boundary none of the prompt's texts contains.
 */
import { usageError } from '../errors.js'
import type { ChatMessage } from '../model/chat-template.js'
import type { Prompt } from '../model/load.js'
import { delimiter } from './delimit.js'
import { fill, placeholders, type PromptTemplate, type TemplateOptions } from './template.js'
import type { SamplingParams } from '../generate/sampling.js'
import { definedOnly } from '../json.js'

export interface BuildPromptOptions {
  input: string
  /** values the command supplies (summarize: instruction, words, format, focus) */
  provided?: Readonly<Record<string, string>>
  /** -p KEY VALUE */
  params?: Readonly<Record<string, string>>
  /** replaces the template's system message */
  system?: string
  /** the model has a chat template: build messages; else one text prompt */
  chat: boolean
  /** boundary source (tests) */
  random?: () => string
}

export interface BuiltPrompt {
  prompt: Prompt
  /** the template's default generation options */
  options: TemplateOptions
  boundary: string
}

/** The values a template is filled with: defaults < command-supplied < -p. Unknown / missing ones are errors. */
export function templateValues(t: PromptTemplate, provided: Readonly<Record<string, string>> = {}, params: Readonly<Record<string, string>> = {}): Record<string, string> {
  const known = new Set([...Object.keys(t.variables), ...Object.keys(provided)])
  for (const k of Object.keys(params)) {
    if (k === 'input') throw usageError("'input' is the command's input text, not a -p variable", { where: '-p input' })
    if (!known.has(k)) {
      throw usageError(`unknown template variable '${k}' for template '${t.name}'`, {
        where: `-p ${k}`, hint: known.size ? `its variables: ${[...known].join(', ')}` : 'this template has no variables',
      })
    }
  }
  const values: Record<string, string> = {}
  for (const [k, v] of Object.entries(t.variables)) if (v !== null) values[k] = v
  Object.assign(values, provided, params)
  const missing = Object.keys(t.variables).find((k) => values[k] === undefined)
  if (missing !== undefined) throw usageError(`template '${t.name}' needs a value for '${missing}'`, { where: t.source, hint: `pass -p ${missing} VALUE` })
  return values
}

/**
 * Everything about a template that can be checked before a model loads: -p names, required
 * values, and that every placeholder of its system and prompt has a value (`provided` names what
 * the command will supply besides `input`).
 */
export function checkTemplate(t: PromptTemplate, provided: readonly string[], params: Readonly<Record<string, string>> = {}): void {
  const values = templateValues(t, Object.fromEntries(provided.map((k) => [k, ''])), params)
  for (const text of [t.system ?? '', t.prompt]) fill(text, { ...values, input: '' }, t.source)
}

export function buildPrompt(t: PromptTemplate, opts: BuildPromptOptions): BuiltPrompt {
  const values = templateValues(t, opts.provided, opts.params)
  const usesInput = placeholders(t.prompt).includes('input')
  if (!usesInput && opts.input !== '') {
    throw usageError(`template '${t.name}' has no {{input}} in its prompt, so the input has nowhere to go`, { where: t.source, hint: 'add {{input}} to the prompt, or give no input' })
  }
  const system = opts.system ?? t.system
  const texts = [opts.input, system ?? '', t.prompt, ...Object.values(values), ...t.examples.flatMap((e) => [e.input, e.output])]
  const d = delimiter(texts, opts.random)
  const userTurn = (input: string): string => fill(t.prompt, { ...values, input: d.wrap(input) }, t.source)
  const sys = system === undefined ? undefined : fill(system, { ...values, input: '' }, t.source)
  const turns: ChatMessage[] = [
    ...(sys ? [{ role: 'system', content: sys }] : []),
    ...t.examples.flatMap((e): ChatMessage[] => [{ role: 'user', content: userTurn(e.input) }, { role: 'assistant', content: e.output }]),
    { role: 'user', content: userTurn(opts.input) },
  ]
  if (opts.chat) return { prompt: { messages: turns }, options: t.options, boundary: d.boundary }
  // a base model: one text, each turn a paragraph, each example's answer right after its prompt
  const parts: string[] = []
  for (const m of turns) {
    if (m.role === 'assistant') parts[parts.length - 1] += `\n${m.content}`
    else parts.push(m.content)
  }
  return { prompt: parts.join('\n\n') + '\n', options: t.options, boundary: d.boundary }
}

/** A template's `options` as generation settings (field names of GenerateOptions / SamplingParams). */
export function generationDefaults(o: TemplateOptions): { sampling: Partial<SamplingParams>; maxTokens?: number; stop?: string[] } {
  return {
    sampling: definedOnly({ temperature: o.temperature, topK: o.top_k, topP: o.top_p, minP: o.min_p, repeatPenalty: o.repeat_penalty, seed: o.seed }),
    maxTokens: o.max_tokens,
    stop: o.stop,
  }
}

/** `{ ...defaults, ...given }` where an undefined field of `given` does not erase a default. */
export function withDefaults<T extends object>(defaults: Partial<T>, given: Partial<T>): Partial<T> {
  return { ...defaults, ...definedOnly(given) }
}

export interface ChatTemplateParts {
  system?: string
  /** the few-shot turns, after the system message */
  preamble: ChatMessage[]
  /** a user message as the template's prompt, its text as a fresh delimited data block */
  wrap: (text: string) => string
}

/** A template for a conversation (`llm chat -t`): every user message goes through its prompt. */
export function templateForChat(t: PromptTemplate, opts: { params?: Readonly<Record<string, string>>; system?: string } = {}): ChatTemplateParts {
  const values = templateValues(t, {}, opts.params)
  if (!placeholders(t.prompt).includes('input')) throw usageError(`template '${t.name}' has no {{input}} in its prompt, so chat messages have nowhere to go`, { where: t.source })
  const system = opts.system ?? (t.system === undefined ? undefined : fill(t.system, { ...values, input: '' }, t.source))
  const fixed = [t.prompt, system ?? '', ...Object.values(values), ...t.examples.flatMap((e) => [e.input, e.output])]
  const wrap = (text: string): string => {
    const d = delimiter([text, ...fixed])
    return fill(t.prompt, { ...values, input: d.wrap(text) }, t.source)
  }
  return { system, preamble: t.examples.flatMap((e): ChatMessage[] => [{ role: 'user', content: wrap(e.input) }, { role: 'assistant', content: e.output }]), wrap }
}
