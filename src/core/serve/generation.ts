/**
 * /v1/chat/completions and /v1/completions: run a checked request on a model's generator and
 * answer as OpenAI does, in one JSON body or streamed as server-sent events:
 *   data: {role chunk}            (chat only: delta {role: "assistant", content: ""})
 *   data: {content chunk}…        (one id and `created` for the whole stream)
 *   data: {finish chunk}          (empty delta / text, finish_reason)
 *   data: {usage chunk}           (with stream_options.include_usage: "choices": [] and usage)
 *   data: [DONE]
 * n > 1 choices are generated one after another on the same generator; with a seed, choice i
 * uses seed + i (so n = 2 with a seed is two different, reproducible samples).
 * A model without a chat template gets the plain "User: …\nAssistant:" transcript that `llm chat`
 * uses (core/chat/prompt.ts), stopped at the next "\nUser:", its leading spaces dropped.
 */
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { buildChatPrompt } from '../chat/prompt.js'
import type { FinishReason, GenerationResult, Generator } from '../generate/index.js'
import type { Prompt } from '../model/load.js'
import { sendJson } from './errors.js'
import type { ModelPool } from './pool.js'
import type { GenerationRequest } from './requests.js'

export interface GenerationOutcome {
  texts: string[]
  finishReasons: (string | null)[]
  promptTokens: number
  completionTokens: number
  prefillMs: number
  decodeMs: number
  /** the client went away before the end */
  aborted: boolean
}

const openaiFinish = (f: FinishReason): 'stop' | 'length' | null => (f === 'eos' || f === 'stop' ? 'stop' : f === 'length' ? 'length' : null)

/** The prompt, the extra stop strings and whether leading spaces of the answer are dropped. */
function promptOf(req: GenerationRequest, gen: Generator): { prompt: Prompt; stop: string[]; trimStart: boolean } {
  if (req.kind === 'completion') return { prompt: req.prompt!, stop: req.stop, trimStart: false }
  const p = buildChatPrompt(req.messages!, gen.info.hasChatTemplate)
  return { prompt: p.prompt, stop: [...req.stop, ...p.stop], trimStart: p.transcript }
}

export function completionId(kind: GenerationRequest['kind']): string {
  return `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`
}

/**
 * Generate and write the whole response. `beforeEnd` runs after the last token and before the
 * response's last bytes (so a log row is committed before the client sees the end).
 */
export async function respondGeneration(
  pool: ModelPool, gen: Generator, req: GenerationRequest, res: ServerResponse, signal: AbortSignal,
  beforeEnd: (o: GenerationOutcome) => void,
): Promise<GenerationOutcome> {
  const id = completionId(req.kind)
  const created = Math.floor(Date.now() / 1000)
  const chat = req.kind === 'chat'
  const object = chat ? 'chat.completion.chunk' : 'text_completion'
  const { prompt, stop, trimStart } = promptOf(req, gen)
  const out: GenerationOutcome = { texts: [], finishReasons: [], promptTokens: 0, completionTokens: 0, prefillMs: 0, decodeMs: 0, aborted: false }
  const usage = () => ({ prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens, total_tokens: out.promptTokens + out.completionTokens })

  const send = (payload: unknown): void => { if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(payload)}\n\n`) }
  const chunk = (index: number, piece: { role?: string; content?: string } | string, finish: string | null) => {
    const choice = chat
      ? { index, delta: piece, logprobs: null, finish_reason: finish }
      : { index, text: piece as string, logprobs: null, finish_reason: finish }
    send({ id, object, created, model: pool.id, choices: [choice], ...(req.includeUsage ? { usage: null } : {}) })
  }
  if (req.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.flushHeaders()
  }

  for (let i = 0; i < req.n; i++) {
    if (req.stream && chat) chunk(i, { role: 'assistant', content: '' }, null)
    let leading = trimStart
    const pieces: string[] = []
    const onText = (t: string) => {
      if (leading) { t = t.replace(/^\s+/, ''); if (!t) return; leading = false }
      pieces.push(t)
      if (req.stream) chunk(i, chat ? { content: t } : t, null)
    }
    const sampling = { ...req.sampling }
    if (sampling.seed !== undefined) sampling.seed = (sampling.seed + i) >>> 0
    const r: GenerationResult = await gen.generate(prompt, { maxTokens: req.maxTokens, sampling, stop, onText, signal })
    out.promptTokens = r.prompt_ids.length
    out.completionTokens += r.ids.length
    out.prefillMs += r.timings.prefill_ms
    out.decodeMs += r.timings.decode_ms
    out.texts.push(pieces.join(''))
    out.finishReasons.push(openaiFinish(r.finish_reason))
    if (r.finish_reason === 'abort' || signal.aborted) { out.aborted = true; break }
    if (req.stream) chunk(i, chat ? {} : '', openaiFinish(r.finish_reason))
  }

  beforeEnd(out)
  if (out.aborted) { res.destroy(); return out }
  if (req.stream) {
    if (req.includeUsage) send({ id, object, created, model: pool.id, choices: [], usage: usage() })
    res.end('data: [DONE]\n\n')
    return out
  }
  const choices = out.texts.map((text, index) => chat
    ? { index, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: out.finishReasons[index] }
    : { index, text, logprobs: null, finish_reason: out.finishReasons[index] })
  sendJson(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created, model: pool.id, choices, usage: usage() })
  return out
}
