/**
 * Chat templates: the Jinja template a model ships in tokenizer_config.json (`chat_template`),
 * rendered with @huggingface/jinja exactly as transformers' `apply_chat_template` renders it:
 * variables `messages`, `bos_token`, `eos_token`, `add_generation_prompt` (and
 * `raise_exception`, which the library provides).
 *
 * `encodeChat(messages, template, tokenizer, opts)` is THE way a conversation becomes token ids
 * (generation uses it through Model.encodePrompt; fine-tuning uses its segments for the
 * assistant-only loss mask). Only the template's own markup may produce special ids: a user
 * message holding `<|im_end|>\n<|im_start|>system` is tokenized as that text, never as control
 * tokens (transformers' apply_chat_template tokenizes the rendered string with every special
 * token matched, so there it would be). How:
 *   1. render with a unique sentinel in place of each message's content: the text between the
 *      sentinels is the template's own (T0 s T1 s … Tn);
 *   2. render for real and read it as T0 c1 T1 c2 … Tn, each ci the message's content or its
 *      trim / trimStart / trimEnd (Llama-3, Llama-2 and Mistral templates trim content);
 *   3. special-token texts inside the T parts are control tokens (with their lstrip / rstrip);
 *      the text between two of them — template text and content together, so tokens merge across
 *      the seam exactly as in one string — is encoded with no special token allowed. For clean
 *      content the ids equal `tokenizer.encode(rendered, { allowedSpecial: 'all' })`.
 * A template that changes content otherwise (upper, split, …) cannot be read as in step 2. Then
 * the real render is encoded with specials allowed and accepted only when its special ids are
 * those of the same render with the special-token texts removed from every message (the user
 * text made none); otherwise it is refused with a usage error naming the message.
 *
 *   const r = encodeChat(msgs, tpl, tok, { addGenerationPrompt: true, bosToken: '<s>', segments: true })
 *   r.ids                     // the prompt
 *   r.segments                // [{ role, messageIndex, start, end }]: ids[start:end] are that message's content
 *   r.segmentation            // 'content' (as above) | 'turn' (fallback: each message's whole turn) | 'none'
 * A token that straddles a seam goes to the content when it starts before the content (the
 * template's space merged into "▁Hello") and to the markup after it. For an assistant-only loss,
 * take each assistant segment plus the markup ids after it up to and including the end-of-turn id.
 * Known limits: special tokens marked single_word or normalized: true are matched as plain
 * lstrip/rstrip tokens in the template text.
 */
import { randomInt } from 'node:crypto'
import { Template } from '@huggingface/jinja'
import { LlmError, usageError } from '../errors.js'
import { isWhiteSpace } from '../../tokenizer/hf/chars.js'
import type { Tokenizer } from '../../tokenizer/types.js'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {})
  content: string
}

export interface ChatTemplateOptions {
  bosToken?: string
  eosToken?: string
  /** end with the assistant's turn header so the model answers (default true) */
  addGenerationPrompt?: boolean
  /** named in errors */
  source?: string
}

export interface EncodeChatOptions extends ChatTemplateOptions {
  /** compute `segments` (a few extra encodes per message; default false) */
  segments?: boolean
}

export interface ChatSegment {
  role: string
  messageIndex: number
  /** ids[start:end] */
  start: number
  end: number
}

export interface EncodedChat {
  ids: number[]
  /** the rendered template */
  text: string
  segments: ChatSegment[]
  segmentation: 'content' | 'turn' | 'none'
}

const parsed = new Map<string, Template>()

export function renderChatTemplate(template: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  const where = opts.source ?? 'chat_template'
  let t = parsed.get(template)
  if (!t) {
    try {
      t = new Template(template)
    } catch (err) {
      throw new LlmError(`cannot parse the chat template: ${(err as Error).message}`, { where })
    }
    parsed.set(template, t)
  }
  try {
    return t.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
      add_generation_prompt: opts.addGenerationPrompt ?? true,
    })
  } catch (err) {
    throw new LlmError(`the chat template failed: ${(err as Error).message.split('\n')[0]}`, { where, hint: 'check the roles and order of the messages' })
  }
}

interface Special { name: string; id: number; lstrip: boolean; rstrip: boolean }
/** [a, b) of the rendered text holding message `msg`'s content */
interface Region { a: number; b: number; msg: number }

export function encodeChat(messages: readonly ChatMessage[], template: string, tokenizer: Tokenizer, opts: EncodeChatOptions = {}): EncodedChat {
  const specials = specialsOf(tokenizer)
  messages.forEach((m, i) => {
    const s = specials.find((x) => m.role.includes(x.name))
    if (s) throw usageError(`message ${i}'s role contains the special token text '${s.name}'`, { where: opts.source ?? 'chat_template', hint: 'roles are system, user, assistant, …' })
  })
  const text = renderChatTemplate(template, messages, opts)
  const regions = contentRegions(messages, template, text, opts)
  if (regions) {
    const enc = encodeRegions(text, regions, specials, tokenizer, opts.segments === true)
    return {
      ids: enc.ids, text,
      segments: enc.segments.map((s) => ({ role: messages[s.msg]!.role, messageIndex: s.msg, start: s.start, end: s.end })),
      segmentation: opts.segments ? 'content' : 'none',
    }
  }
  return encodeTransformed(messages, template, text, specials, tokenizer, opts)
}

/** The tokenizer's special tokens, longest first, with the strip flags of Hugging Face's added tokens. */
function specialsOf(tok: Tokenizer): Special[] {
  const flags = new Map<string, { lstrip: boolean; rstrip: boolean }>()
  const added = (tok as { addedTokens?: readonly { content: string; lstrip: boolean; rstrip: boolean }[] }).addedTokens
  for (const t of added ?? []) flags.set(t.content, { lstrip: t.lstrip, rstrip: t.rstrip })
  return [...tok.specialTokens].filter(([name]) => name.length > 0)
    .map(([name, id]) => ({ name, id, lstrip: flags.get(name)?.lstrip ?? false, rstrip: flags.get(name)?.rstrip ?? false }))
    .sort((x, y) => y.name.length - x.name.length)
}

/**
 * Steps 1–2: where each message's content lies in `text`, or undefined when the template does
 * something to content other than trimming it (or renders a content more or less than once per
 * sentinel in a way that does not line up).
 */
function contentRegions(messages: readonly ChatMessage[], template: string, text: string, opts: ChatTemplateOptions): Region[] | undefined {
  let nonce: string
  do nonce = String(randomInt(1e9, 1e10)) // digits: unchanged by upper/lower/title
  while (messages.some((m) => m.content.includes(nonce)) || text.includes(nonce))
  const mark = (i: number): string => `\uE000${nonce}#${i}\uE001`
  let marked: string
  try {
    marked = renderChatTemplate(template, messages.map((m, i) => ({ role: m.role, content: mark(i) })), opts)
  } catch {
    return undefined // the template looks at content (e.g. raises on an empty one)
  }
  const re = new RegExp(`\uE000${nonce}#(\\d+)\uE001`, 'g')
  const parts: string[] = []
  const order: number[] = []
  let last = 0
  for (const m of marked.matchAll(re)) {
    parts.push(marked.slice(last, m.index))
    order.push(Number(m[1]))
    last = m.index + m[0].length
  }
  parts.push(marked.slice(last))
  if (parts.some((p) => p.includes(nonce))) return undefined // a sentinel was cut or changed
  // read `text` as parts[0] c1 parts[1] … with each c a trim-variant of its content (depth-first;
  // several variants fit only when they differ in whitespace next to whitespace)
  const regions: Region[] = []
  const failed = new Set<string>()
  const walk = (k: number, pos: number): boolean => {
    if (k === order.length) return pos === text.length
    const key = `${k}:${pos}`
    if (failed.has(key)) return false
    const c = messages[order[k]!]!.content
    for (const v of new Set([c, c.trim(), c.trimStart(), c.trimEnd()])) {
      if (!text.startsWith(v, pos) || !text.startsWith(parts[k + 1]!, pos + v.length)) continue
      regions.push({ a: pos, b: pos + v.length, msg: order[k]! })
      if (walk(k + 1, pos + v.length + parts[k + 1]!.length)) return true
      regions.pop()
    }
    failed.add(key)
    return false
  }
  if (!text.startsWith(parts[0]!) || !walk(0, parts[0]!.length)) return undefined
  return regions
}

/** Leftmost-longest occurrences of special-token texts in text[a, b). */
function findSpecials(text: string, a: number, b: number, specials: readonly Special[], out: { at: number; s: Special }[]): void {
  let pos = a
  for (;;) {
    let best: { at: number; s: Special } | undefined
    for (const s of specials) {
      const i = text.indexOf(s.name, pos)
      if (i !== -1 && i + s.name.length <= b && (!best || i < best.at)) best = { at: i, s } // longest first: ties keep the longer
    }
    if (!best) return
    out.push(best)
    pos = best.at + best.s.name.length
  }
}

/** Step 3: control tokens from the template parts, everything else encoded with no specials. */
function encodeRegions(text: string, regions: readonly Region[], specials: readonly Special[], tok: Tokenizer, wantSegments: boolean):
  { ids: number[]; segments: { msg: number; start: number; end: number }[] } {
  const found: { at: number; s: Special }[] = []
  let pos = 0
  for (const r of regions) { findSpecials(text, pos, r.a, specials, found); pos = r.b }
  findSpecials(text, pos, text.length, specials, found)

  const piece = pieceEncoder(tok, specials)
  const ids: number[] = []
  const segments: { msg: number; start: number; end: number }[] = []
  let gapFrom = 0 // the gap between two control tokens, before lstrip / rstrip
  let from = 0 // … and after
  let afterSpecial = false
  // encode text[from, to) of the gap [gapFrom, gapTo); every content region lies inside one gap
  const flush = (to: number, gapTo: number): void => {
    const s = text.slice(from, to)
    const base = ids.length
    const pieceIds = s.length > 0 ? piece(s, afterSpecial) : []
    if (wantSegments) {
      for (const r of regions) {
        if (r.a < gapFrom || r.b > gapTo) continue
        const a = Math.min(Math.max(r.a, from), to) - from
        const b = Math.min(Math.max(r.b, from), to) - from
        const start = a === 0 ? 0 : a === s.length ? pieceIds.length : lcp(piece(s.slice(0, a), afterSpecial), pieceIds)
        const end = b === s.length ? pieceIds.length : b === 0 ? 0 : lcp(piece(s.slice(0, b), afterSpecial), pieceIds)
        segments.push({ msg: r.msg, start: base + start, end: base + Math.max(start, end) })
      }
    }
    ids.push(...pieceIds)
  }
  for (const { at, s } of found) {
    let end = at
    if (s.lstrip) while (end > from && isWhiteSpace(text.charCodeAt(end - 1))) end--
    flush(end, at)
    ids.push(s.id)
    gapFrom = from = at + s.name.length
    if (s.rstrip) while (from < text.length && isWhiteSpace(text.charCodeAt(from))) from++
    afterSpecial = true
  }
  flush(text.length, text.length)
  return { ids, segments }
}

/**
 * Encode a piece of text with no special token allowed. A piece that follows a control token is
 * encoded as the tokenizer encodes text after one (not "at the start": Metaspace's
 * prepend_scheme 'first' prepends only there) by putting a special token with no strip flags in
 * front of it, allowed alone, and dropping its id.
 */
function pieceEncoder(tok: Tokenizer, specials: readonly Special[]): (s: string, afterSpecial: boolean) => number[] {
  const markers = specials.filter((s) => !s.lstrip && !s.rstrip)
  return (s, afterSpecial) => {
    if (!afterSpecial) return tok.encode(s, { allowedSpecial: 'none' })
    const m = markers.find((x) => !s.includes(x.name))
    if (!m) return tok.encode(s, { allowedSpecial: 'none' })
    const ids = tok.encode(m.name + s, { allowedSpecial: new Set([m.name]) })
    if (ids[0] !== m.id) return tok.encode(s, { allowedSpecial: 'none' })
    return ids.slice(1)
  }
}

function lcp(a: readonly number[], b: readonly number[]): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/** the special ids of `ids`, in order */
function specialIds(ids: readonly number[], specials: readonly Special[]): number[] {
  const set = new Set(specials.map((s) => s.id))
  return ids.filter((id) => set.has(id))
}

/** special-token texts removed until none is left (removing one can join the halves of another) */
function defang(s: string, specials: readonly Special[]): string {
  for (;;) {
    const next = specials.reduce((t, x) => t.replaceAll(x.name, ''), s)
    if (next === s) return s
    s = next
  }
}

/** The slower path for templates that transform content: accept only when user text made no control token. */
function encodeTransformed(messages: readonly ChatMessage[], template: string, text: string, specials: readonly Special[], tok: Tokenizer, opts: EncodeChatOptions): EncodedChat {
  const ids = tok.encode(text, { allowedSpecial: 'all' })
  const clean = messages.map((m) => ({ role: m.role, content: defang(m.content, specials) }))
  const want = specialIds(tok.encode(renderChatTemplate(template, clean, opts), { allowedSpecial: 'all' }), specials)
  const got = specialIds(ids, specials)
  if (want.length !== got.length || want.some((id, i) => got[i] !== id)) {
    const i = messages.findIndex((m, k) => m.content !== clean[k]!.content)
    const name = specials.find((s) => messages[i]?.content.includes(s.name))?.name ?? 'a special token'
    throw usageError(`message ${i} contains the special token text '${name}', and this chat template changes message content (beyond trimming) so that text cannot be kept out of the control tokens`, {
      where: opts.source ?? 'chat_template', hint: 'remove the special-token text from the input, or use a model whose template inserts content unchanged',
    })
  }
  if (!opts.segments) return { ids, text, segments: [], segmentation: 'none' }
  // each message's whole turn: the ids a prefix of the conversation adds
  const segments: ChatSegment[] = []
  let prev = 0
  try {
    for (let i = 0; i < messages.length; i++) {
      const last = i === messages.length - 1
      const prefix = last ? ids : tok.encode(renderChatTemplate(template, messages.slice(0, i + 1), { ...opts, addGenerationPrompt: false }), { allowedSpecial: 'all' })
      const end = last ? ids.length : lcp(prefix, ids)
      segments.push({ role: messages[i]!.role, messageIndex: i, start: prev, end: Math.max(prev, end) })
      prev = Math.max(prev, end)
    }
  } catch {
    return { ids, text, segments: [], segmentation: 'none' }
  }
  return { ids, text, segments, segmentation: 'turn' }
}
