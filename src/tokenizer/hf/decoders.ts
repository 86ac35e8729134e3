import { CHAR_TO_BYTE, utf8, utf8Lossy, utf8Strict } from './chars.js'
import { type Ctx, arr, asObject, bool, num, str, unsupported } from './json.js'
import { replacePattern } from './normalizers.js'

/**
 * tokenizer.json `decoder`s (decoders/*.rs): each maps the list of token strings to a new list
 * (`decode_chain`); the final text is their concatenation.
 */
export type Decoder = (tokens: string[]) => string[]

export function buildDecoder(ctx: Ctx, cfg: unknown): Decoder | undefined {
  if (cfg === null || cfg === undefined) return undefined
  const o = asObject(ctx, cfg, 'decoder')
  switch (o.type) {
    case 'Sequence': {
      const parts = arr(ctx, o, 'decoders').map((d) => buildDecoder(ctx, d)).filter((d): d is Decoder => d !== undefined)
      return (tokens) => parts.reduce((acc, d) => d(acc), tokens)
    }
    case 'ByteLevel': return (tokens) => [byteLevelDecode(tokens)]
    case 'ByteFallback': return byteFallback
    case 'Fuse': return (tokens) => [tokens.join('')]
    case 'Strip': {
      const content = str(ctx, o, 'content')
      const start = num(ctx, o, 'start', 0)
      const stop = num(ctx, o, 'stop', 0)
      return (tokens) => tokens.map((t) => stripChars(t, content, start, stop))
    }
    case 'Replace': {
      const { re, literal } = replacePattern(ctx, o)
      const content = str(ctx, o, 'content')
      if (literal !== undefined) return (tokens) => tokens.map((t) => (t.includes(literal) ? t.split(literal).join(content) : t))
      return (tokens) => tokens.map((t) => t.replace(re, () => content))
    }
    case 'Metaspace': {
      const repl = str(ctx, o, 'replacement', '\u2581')
      let scheme = o.prepend_scheme
      if (scheme === undefined || scheme === null) scheme = bool(ctx, o, 'add_prefix_space', true) ? 'always' : 'never'
      const stripFirst = scheme !== 'never'
      // every replacement char becomes a space, except in the first token where it is dropped
      return (tokens) => tokens.map((t, i) => t.replaceAll(repl, i === 0 && stripFirst ? '' : ' '))
    }
    case 'WordPiece': {
      const prefix = str(ctx, o, 'prefix', '##')
      const cleanup = bool(ctx, o, 'cleanup', true)
      return (tokens) => tokens.map((t, i) => {
        if (i !== 0) t = t.startsWith(prefix) ? t.replace(prefix, () => '') : ' ' + t
        return cleanup ? cleanupSpaces(t) : t
      })
    }
    case 'BPEDecoder': {
      const suffix = str(ctx, o, 'suffix', '</w>')
      return (tokens) => tokens.map((t, i) => t.replaceAll(suffix, i === tokens.length - 1 ? '' : ' '))
    }
    default: return unsupported(ctx, 'decoder', o.type)
  }
}

/** one token's bytes through GPT-2's char→byte map (its raw UTF-8 when a char is not in it) */
export function byteLevelTokenBytes(t: string): Uint8Array {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c]! < 0) return utf8(t)
  }
  const out = new Uint8Array(t.length)
  for (let i = 0; i < t.length; i++) out[i] = CHAR_TO_BYTE[t.charCodeAt(i)]!
  return out
}

/** all tokens' bytes, concatenated, read as UTF-8 (lossy, as `String::from_utf8_lossy`) */
export function joinBytesLossy(parts: Uint8Array[]): string {
  let n = 0
  for (const p of parts) n += p.length
  const all = new Uint8Array(n)
  n = 0
  for (const p of parts) { all.set(p, n); n += p.length }
  return utf8Lossy(all)
}

function byteLevelDecode(tokens: string[]): string {
  return joinBytesLossy(tokens.map(byteLevelTokenBytes))
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/
/** `<0xNN>` runs become their UTF-8 text, or one U+FFFD per byte when invalid */
function byteFallback(tokens: string[]): string[] {
  const out: string[] = []
  let pending: number[] = []
  const flush = (): void => {
    if (pending.length === 0) return
    const s = utf8Strict(Uint8Array.from(pending))
    if (s !== undefined) out.push(s)
    else for (let i = 0; i < pending.length; i++) out.push('\uFFFD')
    pending = []
  }
  for (const t of tokens) {
    const m = t.length === 6 ? BYTE_TOKEN.exec(t) : null
    if (m) { pending.push(parseInt(m[1]!, 16)); continue }
    flush()
    out.push(t)
  }
  flush()
  return out
}

/** drop up to `start` leading and `stop` trailing copies of the char `ch` */
function stripChars(t: string, ch: string, start: number, stop: number): string {
  let a = 0
  let b = t.length
  for (let n = 0; n < start && t.startsWith(ch, a); n++) a += ch.length
  for (let n = 0; n < stop && b - ch.length >= a && t.startsWith(ch, b - ch.length); n++) b -= ch.length
  return a === 0 && b === t.length ? t : t.slice(a, b)
}

function cleanupSpaces(s: string): string {
  return s.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re")
}


