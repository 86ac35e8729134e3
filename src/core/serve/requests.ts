/**
 * Request bodies of the OpenAI API (chat/completions, completions, embeddings) checked field by
 * field into what the generator takes. A wrong type or range is a 400 naming the field (`param`),
 * as OpenAI answers. Sampling fields left out fall back to the model's generation_config.json,
 * else llama.cpp's defaults, as llama-server does (not OpenAI's temperature 1). Beyond OpenAI's
 * fields, llama-server's `top_k`, `min_p` and `repeat_penalty` are understood.
 */
import type { ChatMessage } from '../model/chat-template.js'
import type { SamplingParams } from '../generate/sampling.js'
import { badRequest } from './errors.js'

export interface GenerationRequest {
  kind: 'chat' | 'completion'
  model: string
  messages?: ChatMessage[]
  prompt?: string
  maxTokens?: number
  sampling: Partial<SamplingParams>
  stop: string[]
  n: number
  stream: boolean
  includeUsage: boolean
}

export interface EmbeddingsRequest {
  model: string
  input: string[]
  encodingFormat: 'float' | 'base64'
  dimensions?: number
}

/** the most choices one request may ask for */
export const MAX_N = 16

type Body = Record<string, unknown>

function asObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object')
  return body as Body
}

const present = (b: Body, k: string): boolean => b[k] !== undefined && b[k] !== null

function num(b: Body, k: string, lo: number, hi: number, opts: { int?: boolean; loOpen?: boolean } = {}): number | undefined {
  if (!present(b, k)) return undefined
  const v = b[k]
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))) throw badRequest(`'${k}' must be ${opts.int ? 'an integer' : 'a number'}`, k, 'invalid_type')
  if (v < lo || v > hi || (opts.loOpen && v === lo)) throw badRequest(`'${k}' must be ${opts.loOpen ? 'above' : 'at least'} ${lo} and at most ${hi}, got ${v}`, k, 'invalid_value')
  return v
}

function bool(b: Body, k: string): boolean | undefined {
  if (!present(b, k)) return undefined
  if (typeof b[k] !== 'boolean') throw badRequest(`'${k}' must be a boolean`, k, 'invalid_type')
  return b[k] as boolean
}

function model(b: Body): string {
  if (typeof b.model !== 'string' || b.model === '') throw badRequest("'model' is required (a string: see GET /v1/models)", 'model', 'missing_required_parameter')
  return b.model
}

/** fields we do not implement: refused rather than silently ignored, since they change the answer's meaning */
function refuse(b: Body, fields: Record<string, (v: unknown) => boolean>): void {
  for (const [k, isOn] of Object.entries(fields)) {
    if (present(b, k) && isOn(b[k])) throw badRequest(`'${k}' is not supported by this server`, k, 'unsupported_parameter')
  }
}
const truthy = (v: unknown) => v !== false && v !== 0
const nonEmpty = (v: unknown) => !(Array.isArray(v) && v.length === 0)

function stops(b: Body): string[] {
  if (!present(b, 'stop')) return []
  const v = b.stop
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw badRequest("'stop' must be a string or an array of strings", 'stop', 'invalid_type')
  if (list.length > 4) throw badRequest("'stop' holds at most 4 sequences", 'stop', 'invalid_value')
  return (list as string[]).filter((s) => s !== '')
}

function common(b: Body): Omit<GenerationRequest, 'kind' | 'messages' | 'prompt'> {
  const maxTokens = num(b, 'max_completion_tokens', 0, 1e9, { int: true }) ?? num(b, 'max_tokens', 0, 1e9, { int: true })
  const stream = bool(b, 'stream') ?? false
  let includeUsage = false
  if (present(b, 'stream_options')) {
    const so = b.stream_options
    if (typeof so !== 'object' || so === null || Array.isArray(so)) throw badRequest("'stream_options' must be an object", 'stream_options', 'invalid_type')
    if (!stream) throw badRequest("'stream_options' is only allowed with 'stream': true", 'stream_options', 'invalid_value')
    includeUsage = bool(so as Body, 'include_usage') ?? false
  }
  const sampling: Partial<SamplingParams> = {
    temperature: num(b, 'temperature', 0, 2),
    topP: num(b, 'top_p', 0, 1, { loOpen: true }),
    topK: num(b, 'top_k', 0, 1e9, { int: true }),
    minP: num(b, 'min_p', 0, 1),
    repeatPenalty: num(b, 'repeat_penalty', 0, 10, { loOpen: true }),
    presencePenalty: num(b, 'presence_penalty', -2, 2),
    frequencyPenalty: num(b, 'frequency_penalty', -2, 2),
    seed: num(b, 'seed', -(2 ** 63), 2 ** 64, { int: true }),
  }
  if (sampling.seed !== undefined) sampling.seed = Number(BigInt.asUintN(32, BigInt(sampling.seed)))
  for (const k of Object.keys(sampling) as (keyof SamplingParams)[]) if (sampling[k] === undefined) delete sampling[k]
  return { model: model(b), maxTokens, sampling, stop: stops(b), n: num(b, 'n', 1, MAX_N, { int: true }) ?? 1, stream, includeUsage }
}

function messageText(content: unknown, i: number): string {
  if (typeof content === 'string') return content
  if (content === null || content === undefined) return ''
  if (Array.isArray(content)) {
    return content.map((part, j) => {
      const p = part as { type?: unknown; text?: unknown }
      if (p?.type === 'text' && typeof p.text === 'string') return p.text
      throw badRequest(`messages[${i}].content[${j}]: only text parts are supported (got ${JSON.stringify(p?.type ?? null)})`, `messages[${i}].content`, 'unsupported_content')
    }).join('')
  }
  throw badRequest(`messages[${i}].content must be a string or an array of text parts`, `messages[${i}].content`, 'invalid_type')
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool'])

export function parseChatRequest(raw: unknown): GenerationRequest {
  const b = asObject(raw)
  refuse(b, { logprobs: truthy, tools: nonEmpty, functions: nonEmpty, response_format: (v) => (v as { type?: string })?.type !== 'text', logit_bias: (v) => Object.keys(v as object).length > 0 })
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw badRequest("'messages' must be a non-empty array", 'messages', 'invalid_type')
  const messages: ChatMessage[] = b.messages.map((m, i) => {
    const msg = m as { role?: unknown; content?: unknown }
    if (typeof msg !== 'object' || msg === null || typeof msg.role !== 'string' || !ROLES.has(msg.role)) {
      throw badRequest(`messages[${i}].role must be one of ${[...ROLES].join(', ')}`, `messages[${i}].role`, 'invalid_value')
    }
    // OpenAI's newer "developer" role is the system prompt for models that know only "system"
    return { role: msg.role === 'developer' ? 'system' : msg.role, content: messageText(msg.content, i) }
  })
  return { kind: 'chat', messages, ...common(b) }
}

export function parseCompletionRequest(raw: unknown): GenerationRequest {
  const b = asObject(raw)
  refuse(b, { logprobs: (v) => v !== 0 && v !== false, echo: truthy, suffix: (v) => v !== '', best_of: (v) => v !== 1, logit_bias: (v) => Object.keys(v as object).length > 0 })
  let prompt = b.prompt
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0]
  if (typeof prompt !== 'string') throw badRequest("'prompt' must be a string (or an array of one string)", 'prompt', 'invalid_type')
  return { kind: 'completion', prompt, ...common(b) }
}

export function parseEmbeddingsRequest(raw: unknown): EmbeddingsRequest {
  const b = asObject(raw)
  const input = typeof b.input === 'string' ? [b.input] : b.input
  if (!Array.isArray(input) || input.length === 0 || input.some((s) => typeof s !== 'string')) {
    throw badRequest("'input' must be a string or a non-empty array of strings", 'input', 'invalid_type')
  }
  if (input.length > 2048) throw badRequest("'input' holds at most 2048 texts", 'input', 'invalid_value')
  const fmt = b.encoding_format ?? 'float'
  if (fmt !== 'float' && fmt !== 'base64') throw badRequest("'encoding_format' must be 'float' or 'base64'", 'encoding_format', 'invalid_value')
  return { model: model(b), input: input as string[], encodingFormat: fmt, dimensions: num(b, 'dimensions', 1, 1e6, { int: true }) }
}
