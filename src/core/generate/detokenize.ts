/**
 * Incremental detokenization for streaming: turn one new token id at a time into the text it
 * adds, never emitting half of a UTF-8 character and never losing the space a token starts with.
 *
 * Method (Hugging Face text-generation-inference's `decode_token`): decode a small window that
 * starts a few tokens back twice, without and with the new tokens, and emit the difference only
 * when the longer text does not end in U+FFFD (the replacement character a decoder produces for
 * an incomplete UTF-8 sequence, e.g. the first of the byte-fallback tokens <0xF0><0x9F><0x98><0x80>
 * of an emoji). Decoding both from the same start makes tokenizer quirks that depend on position
 * (SentencePiece dropping the first token's leading space) cancel out. Prompt tokens given as
 * `context` make the first generated token decode as it would after the prompt.
 */
import type { Tokenizer } from '../../tokenizer/types.js'

/** How many prompt tokens to decode before the first generated one. */
const CONTEXT_TOKENS = 6

export class Detokenizer {
  private readonly tokens: number[]
  private prefixOffset = 0
  private readOffset: number

  constructor(private readonly tokenizer: Pick<Tokenizer, 'decode'>, context: readonly number[] = []) {
    this.tokens = context.slice(Math.max(0, context.length - CONTEXT_TOKENS))
    this.readOffset = this.tokens.length
  }

  /** Add one token; returns the text that is now certain ('' while a character is incomplete). */
  push(id: number): string {
    this.tokens.push(id)
    const prefix = this.decode(this.prefixOffset, this.readOffset)
    const full = this.decode(this.prefixOffset, this.tokens.length)
    if (full.length <= prefix.length || full.endsWith('\uFFFD') || !full.startsWith(prefix)) return ''
    this.prefixOffset = this.readOffset
    this.readOffset = this.tokens.length
    return full.slice(prefix.length)
  }

  /** At the end: whatever is still held back (an incomplete character decodes as U+FFFD). */
  flush(): string {
    if (this.readOffset >= this.tokens.length) return ''
    const prefix = this.decode(this.prefixOffset, this.readOffset)
    const full = this.decode(this.prefixOffset, this.tokens.length)
    this.prefixOffset = this.readOffset
    this.readOffset = this.tokens.length
    return full.startsWith(prefix) ? full.slice(prefix.length) : full
  }

  private decode(from: number, to: number): string {
    return from >= to ? '' : this.tokenizer.decode(this.tokens.slice(from, to), { skipSpecialTokens: true })
  }
}
