/**
 * GPT-2's `bytes_to_unicode` (also Hugging Face's ByteLevel): printable Latin-1 bytes stand for
 * themselves, the other 68 bytes map to U+0100.. in byte order, so every byte string is a
 * printable token string in tokenizer.json.
 */
export const BYTE_LEVEL_CHARS: readonly string[] = (() => {
  const out: string[] = []
  let n = 0
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
    out.push(String.fromCharCode(printable ? b : 256 + n++))
  }
  return out
})()

const CHAR_TO_BYTE = new Map(BYTE_LEVEL_CHARS.map((c, b) => [c, b]))

/** The bytes a byte-level token string stands for; undefined if it is not byte-level text. */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length)
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]!)
    if (b === undefined) return undefined
    out[i] = b
  }
  return out
}
