/**
 * Samples → token ids and labels (Hugging Face convention: labels aligned with input_ids, −100 =
 * not trained; the loss shifts them, so label t is the target of position t − 1).
 *
 * Chat samples are rendered with the model's own chat template and split into turns the way
 * axolotl does, so it works with any template: render the conversation up to message i, and up
 * to message i + 1 — the difference is message i's text. An assistant message's part starts after
 * the generation prompt (render of the messages before it with add_generation_prompt), so what is
 * trained is the answer and the template's end-of-turn markup, never the header. Each part is
 * tokenized on its own and the ids concatenated, so a turn's tokens never straddle a boundary;
 * within a part the message's content is encoded with no special token allowed, so text like
 * `<|im_end|>` in the data never becomes a control token.
 *
 * `--train-on`: outputs (assistant turns / completions / Alpaca outputs), inputs (every token but
 * system prompts), all (every token).
 */
import { LlmError } from '../../errors.js'
import { renderChatTemplate, type ChatMessage } from '../../model/chat-template.js'
import type { Tokenizer } from '../../../tokenizer/types.js'
import type { Sample } from './records.js'

export type TrainOn = 'outputs' | 'inputs' | 'all'

export interface EncoderSetup {
  tokenizer?: Tokenizer
  chatTemplate?: { template: string; bosToken?: string; eosToken?: string; source: string }
  eosId?: number
  trainOn: TrainOn
}

export interface Encoded { where: string; ids: number[]; labels: number[] }

const IGNORE = -100

/** Stanford Alpaca's prompt, for models without a chat template */
export function alpacaPrompt(instruction: string, input: string): string {
  return input
    ? `Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\n${instruction}\n\n### Input:\n${input}\n\n### Response:\n`
    : `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n${instruction}\n\n### Response:\n`
}

export function encodeSample(s: Sample, e: EncoderSetup): Encoded {
  if (s.kind === 'tokens') return { where: s.where, ids: s.inputIds, labels: s.labels ?? s.inputIds }
  const tok = e.tokenizer
  if (!tok) throw new LlmError('this data needs a tokenizer, and the base folder has none', { where: s.where, hint: 'add tokenizer.json to the base folder, or give --format tokenized data' })
  const eos = e.eosId !== undefined ? [e.eosId] : []
  switch (s.kind) {
    case 'text': {
      const ids = [...tok.encode(s.text, { addSpecialTokens: true }), ...eos]
      return { where: s.where, ids, labels: ids }
    }
    case 'pair':
      return pair(s.where, tok.encode(s.prompt, { addSpecialTokens: true }), [...tok.encode(s.completion, { addSpecialTokens: false }), ...eos], e.trainOn)
    case 'alpaca': {
      const user = s.input ? `${s.instruction}\n\n${s.input}` : s.instruction
      if (e.chatTemplate) return chat(s.where, [{ role: 'user', content: user }, { role: 'assistant', content: s.output }], tok, e)
      return pair(s.where, tok.encode(alpacaPrompt(s.instruction, s.input), { addSpecialTokens: true }), [...tok.encode(s.output, { addSpecialTokens: false }), ...eos], e.trainOn)
    }
    case 'chat':
      return chat(s.where, s.messages, tok, e)
  }
}

function pair(where: string, prompt: number[], completion: number[], trainOn: TrainOn): Encoded {
  const ids = [...prompt, ...completion]
  const labels = trainOn === 'outputs' ? [...prompt.map(() => IGNORE), ...completion] : ids
  return { where, ids, labels }
}

/** the rendered conversation split into parts: [text, message index or −1 for generation-prompt markup] */
export function chatParts(messages: readonly ChatMessage[], render: (msgs: readonly ChatMessage[], addGenerationPrompt: boolean) => string, where: string): { text: string; message: number }[] {
  const parts: { text: string; message: number }[] = []
  let done = ''
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].role === 'assistant') {
      const header = render(messages.slice(0, i), true)
      if (!header.startsWith(done)) throw notStable(where, i)
      if (header.length > done.length) parts.push({ text: header.slice(done.length), message: -1 })
      done = header
    }
    const upTo = render(messages.slice(0, i + 1), false)
    if (!upTo.startsWith(done)) throw notStable(where, i)
    parts.push({ text: upTo.slice(done.length), message: i })
    done = upTo
  }
  return parts
}

function notStable(where: string, i: number): LlmError {
  return new LlmError(`the chat template's rendering of messages 0..${i} does not start with its rendering of the messages before it, so turns cannot be told apart`, { where, hint: 'use a template that renders each message in turn, or --format prompt-completion' })
}

function chat(where: string, messages: readonly ChatMessage[], tok: Tokenizer, e: EncoderSetup): Encoded {
  const t = e.chatTemplate
  if (!t) throw new LlmError('the base model has no chat template, which chat data needs', { where, hint: 'add a chat_template to tokenizer_config.json, or use --format prompt-completion / alpaca' })
  const render = (msgs: readonly ChatMessage[], addGenerationPrompt: boolean) =>
    msgs.length === 0 && !addGenerationPrompt ? '' : renderChatTemplate(t.template, msgs, { bosToken: t.bosToken, eosToken: t.eosToken, addGenerationPrompt, source: t.source })
  const ids: number[] = []
  const labels: number[] = []
  for (const p of chatParts(messages, render, where)) {
    const role = p.message >= 0 ? messages[p.message].role : 'header'
    const trained = e.trainOn === 'all' || (e.trainOn === 'outputs' ? role === 'assistant' : role !== 'system')
    for (const id of encodePart(p.text, p.message >= 0 ? messages[p.message].content : undefined, tok, where)) { ids.push(id); labels.push(trained ? id : IGNORE) }
  }
  return { where, ids, labels }
}

/**
 * One rendered turn as ids: the template's markup may hold special tokens (as text, the way
 * transformers' apply_chat_template renders them); the message's content never becomes control
 * tokens — it is encoded with no special token allowed (see core/model/chat-template.ts).
 */
function encodePart(text: string, content: string | undefined, tok: Tokenizer, where: string): number[] {
  const markup = (s: string) => (s ? tok.encode(s, { addSpecialTokens: false, allowedSpecial: 'all' }) : [])
  if (content === undefined || content === '') return markup(text)
  for (const v of new Set([content, content.trim(), content.trimStart(), content.trimEnd()])) {
    const at = v ? text.indexOf(v) : -1
    if (at < 0) continue
    return [...markup(text.slice(0, at)), ...tok.encode(v, { addSpecialTokens: false, allowedSpecial: 'none' }), ...markup(text.slice(at + v.length))]
  }
  // the template changed the content (upper, …): safe only when the content holds no special-token text
  const named = [...tok.specialTokens.keys()].find((name) => name && content.includes(name))
  if (named) throw new LlmError(`the message contains the special token text '${named}', and the chat template changes message content, so that text cannot be kept out of the control tokens`, { where, hint: 'remove the special-token text from the data' })
  return markup(text)
}

/** number of positions the loss covers (label 0 is never a target: nothing predicts it) */
export function trainedCount(x: Encoded): number {
  let n = 0
  for (let t = 1; t < x.labels.length; t++) if (x.labels[t] >= 0) n++
  return n
}
