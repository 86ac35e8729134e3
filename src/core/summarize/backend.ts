/**
 * The abstractive side of `llm summarize` behind one interface, `Summarizer`: the strategies
 * (strategy.ts) only ask how many tokens a call's prompt takes and for `summarizeCall(call)`.
 *
 * `LmSummarizer` runs a decoder-only model: each call is a prompt template (the built-in
 * `summarize`, or -t) filled with an instruction and the text as a delimited data block, through
 * the model's chat template when it has one (encodeChat: text in the data can never become
 * control tokens), else as one raw prompt. Every prompt is measured with the model's tokenizer
 * before it runs, and a call whose prompt plus its output room would not fit the context is never
 * made (`fits`).
 * A seq2seq summarizer (BART, T5: the encoder-decoder runtime of `llm translate`) would be a
 * second implementation: context = the encoder's max length, prompt = the text (T5: with its
 * "summarize: " prefix), output room = the decoder's max new tokens.
 */
import type { Model } from '../model/load.js'
import { generateWithModel } from '../generate/generator.js'
import type { SamplingParams } from '../generate/sampling.js'
import { buildPrompt } from '../prompts/build.js'
import type { PromptTemplate } from '../prompts/template.js'
import { definedOnly } from '../json.js'

export type CallKind = 'chunk' | 'combine' | 'refine'

export interface SummaryCall {
  kind: CallKind
  /** the text to summarize: a chunk, the partial summaries joined, or (refine) the next part */
  text: string
  /** refine: the summary so far */
  summary?: string
  /** combine: how many partial summaries `text` holds */
  parts?: number
}

export interface CallResult { text: string; promptTokens: number; outputTokens: number }

export interface Summarizer {
  /** positions one call may use: prompt + output */
  readonly contextLength: number
  /** most tokens a call may generate (room kept free in every prompt) */
  readonly maxOutputTokens: number
  countTokens(text: string): number
  /** exact prompt tokens of a call */
  promptTokens(call: SummaryCall): number
  summarizeCall(call: SummaryCall): Promise<CallResult>
}

/** Does the call's prompt leave its output room inside the context? */
export function fits(s: Summarizer, call: SummaryCall): boolean {
  return s.promptTokens(call) + s.maxOutputTokens <= s.contextLength
}

export interface Instruction {
  words: number
  format: 'paragraph' | 'bullets'
  focus?: string
}

/** The instruction of each kind of call (the template's {{instruction}}). */
export function instructionFor(call: SummaryCall, ins: Instruction): string {
  const focus = ins.focus ? `, focusing on ${ins.focus}` : ''
  const tail = `in at most ${ins.words} words${focus}${ins.format === 'bullets' ? ', as "- " bullet points' : ''}.`
  if (call.kind === 'combine') return `The text is ${call.parts ?? 'several'} summaries of consecutive parts of one document. Combine them into one summary ${tail}`
  if (call.kind === 'refine') return `The text is a summary of a document's start and the part that follows. Update the summary to cover both, ${tail}`
  return `Summarize the text ${tail}`
}

/** What the data block of a call holds. */
export function callText(call: SummaryCall): string {
  return call.kind === 'refine' ? `Summary so far:\n${call.summary ?? ''}\n\nNext part:\n${call.text}` : call.text
}

/** the template variables every summarize call supplies (besides {{input}}) */
export const SUMMARIZE_VARIABLES = ['instruction', 'words', 'format', 'focus'] as const

export interface LmSummarizerOptions {
  template: PromptTemplate
  params?: Record<string, string>
  instruction: Instruction
  maxOutputTokens: number
  /** CLI flags; unset ones come from the template's options, then the model */
  sampling?: Partial<SamplingParams>
  /** the model's context (default: config.json) */
  contextLength?: number
  signal?: { readonly aborted: boolean }
}

export class LmSummarizer implements Summarizer {
  readonly contextLength: number
  readonly maxOutputTokens: number
  constructor(readonly model: Model, private readonly opts: LmSummarizerOptions) {
    this.contextLength = opts.contextLength ?? model.folder.contextLength ?? 2048
    this.maxOutputTokens = opts.maxOutputTokens
  }

  countTokens(text: string): number {
    return this.model.tokenizer.encode(text).length
  }

  /** the prompt a call was measured with is the prompt it runs with (the delimiter is random) */
  private readonly measured = new Map<string, number[]>()

  private ids(call: SummaryCall): number[] {
    const key = JSON.stringify([call.kind, call.parts, call.summary, call.text])
    const hit = this.measured.get(key)
    if (hit) return hit
    if (this.measured.size >= 64) this.measured.clear()
    const ids = this.build(call)
    this.measured.set(key, ids)
    return ids
  }

  private build(call: SummaryCall): number[] {
    const built = buildPrompt(this.opts.template, {
      input: callText(call),
      provided: {
        instruction: instructionFor(call, this.opts.instruction),
        words: String(this.opts.instruction.words),
        format: this.opts.instruction.format,
        focus: this.opts.instruction.focus ?? '',
      },
      params: this.opts.params,
      chat: this.model.hasChatTemplate,
    })
    return this.model.encodePrompt(built.prompt)
  }

  promptTokens(call: SummaryCall): number {
    return this.ids(call).length
  }

  async summarizeCall(call: SummaryCall): Promise<CallResult> {
    const ids = this.ids(call)
    if (ids.length + this.maxOutputTokens > this.contextLength) {
      throw new Error(`internal: a ${call.kind} prompt of ${ids.length} tokens leaves no room for ${this.maxOutputTokens} new ones in ${this.contextLength}`)
    }
    const o = this.opts.template.options
    const r = await generateWithModel(this.model, { ids }, {
      maxTokens: this.maxOutputTokens,
      sampling: {
        temperature: o.temperature, topK: o.top_k, topP: o.top_p, minP: o.min_p, repeatPenalty: o.repeat_penalty, seed: o.seed,
        ...definedOnly(this.opts.sampling ?? {}),
      },
      stop: o.stop,
      signal: this.opts.signal,
    })
    return { text: r.text.trim(), promptTokens: ids.length, outputTokens: r.ids.length }
  }
}
