/**
 * The one interface every tokenizer implements (Hugging Face tokenizer.json, tiktoken,
 * SentencePiece .model, llama2.c tokenizer.bin, our own trained BPE). Pure and synchronous.
 */
export interface EncodeOptions {
  /**
   * Add the post-processor's special tokens (BOS/EOS, as `add_special_tokens=True` in Hugging
   * Face). Default false: ids equal Hugging Face's `encode(text, add_special_tokens=False)`.
   */
  addSpecialTokens?: boolean
  /**
   * Which special-token texts in the input become control tokens. Default 'none': they are
   * tokenized as ordinary text (like tiktoken's `disallowed_special=()` with `allowed_special`
   * empty / minbpe's safe default), so user input cannot inject control tokens. 'all' matches
   * every special token (Hugging Face's default behaviour for added special tokens).
   */
  allowedSpecial?: 'none' | 'all' | ReadonlySet<string>
}

export interface DecodeOptions {
  /** drop special tokens (BOS/EOS/…) from the text, as Hugging Face's skip_special_tokens */
  skipSpecialTokens?: boolean
}

export interface Tokenizer {
  /** what kind of file this came from: 'hf', 'tiktoken', 'sentencepiece', 'llama2c' */
  readonly kind: string
  /** number of ids (largest id + 1), special tokens included */
  readonly vocabSize: number
  readonly bosTokenId?: number
  readonly eosTokenId?: number
  /** special / added control tokens: text → id */
  readonly specialTokens: ReadonlyMap<string, number>
  encode(text: string, opts?: EncodeOptions): number[]
  decode(ids: readonly number[], opts?: DecodeOptions): string
  /** the raw bytes of one token's text, for streaming decode that never splits a UTF-8 char */
  idToToken(id: number): string | undefined
  tokenToId(token: string): number | undefined
  /**
   * For streaming (src/core/tokenize/stream.ts): the last index c of `text` (0 < c < length)
   * where encoding may be cut, i.e. for every continuation `more`,
   * `encode(text + more) = encode(text[..c]) ++ encode(text[c..] + more)` under `opts` (never
   * with addSpecialTokens); -1 when there is none in `text` or the tokenizer cannot tell.
   */
  streamCut?(text: string, opts?: EncodeOptions): number
}
