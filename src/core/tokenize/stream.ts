import type { EncodeOptions, Tokenizer } from '../../tokenizer/types.js'

/** text kept before asking for a cut (cuts are looked for from the end, so this is cheap) */
const MIN_TEXT = 1 << 16

/**
 * Tokenize a byte stream in pieces with bounded memory: bytes are decoded as UTF-8 as they come
 * (a character split across reads is kept for the next one; a BOM is text, as in a verbatim
 * read), and whenever the text held has a cut the tokenizer vouches for (`streamCut`: ids of
 * the parts equal ids of the whole), the part before it is encoded and dropped. Yields each
 * part's ids in order; their concatenation equals `tok.encode(wholeText, opts)`.
 *
 * A tokenizer without `streamCut` (or asked for addSpecialTokens) is given the whole text at
 * once. With one, memory stays near one read plus the text since the last cut: a file with no
 * cut in it (one gigabyte-long word) is still held whole.
 */
export async function* encodeStream(tok: Tokenizer, chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: EncodeOptions = {}): AsyncGenerator<number[]> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  const canCut = tok.streamCut !== undefined && !opts.addSpecialTokens
  let pending = ''
  let ask = MIN_TEXT // a text without a cut is looked at again only once it has doubled
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    if (!canCut || pending.length < ask) continue
    const cut = tok.streamCut!(pending, opts)
    if (cut <= 0) { ask = pending.length * 2; continue }
    yield tok.encode(pending.slice(0, cut), opts)
    pending = pending.slice(cut)
    ask = MIN_TEXT
  }
  pending += decoder.decode()
  yield tok.encode(pending, opts)
}

/** the number of tokens of a byte stream, in bounded memory where the tokenizer allows */
export async function countStream(tok: Tokenizer, chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: EncodeOptions = {}): Promise<number> {
  let n = 0
  for await (const ids of encodeStream(tok, chunks, opts)) n += ids.length
  return n
}

/** all of a byte stream as text, verbatim (UTF-8; a leading BOM is kept, as it is text) */
export async function readText(chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): Promise<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let text = ''
  for await (const chunk of chunks) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}
