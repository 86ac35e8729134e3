import { isWhiteSpace } from './chars.js'
import { type Ctx, type Json, arr, asObject, bool, fail, str, unsupported } from './json.js'
import { compileSplitRegex, literalRegex } from '../regex.js'
import { PrecompiledCharsmap } from './precompiled.js'

/**
 * tokenizer.json `normalizer`s as plain string → string functions. Hugging Face tracks
 * alignments for offsets; ids never depend on them, so a string transform is enough.
 */
export type Normalizer = (s: string) => string

export function buildNormalizer(ctx: Ctx, cfg: unknown): Normalizer | undefined {
  if (cfg === null || cfg === undefined) return undefined
  const o = asObject(ctx, cfg, 'normalizer')
  switch (o.type) {
    case 'Sequence': {
      const parts = arr(ctx, o, 'normalizers').map((n) => buildNormalizer(ctx, n)).filter((n): n is Normalizer => n !== undefined)
      return (s) => {
        for (const n of parts) s = n(s)
        return s
      }
    }
    case 'NFC': return (s) => s.normalize('NFC')
    case 'NFD': return (s) => s.normalize('NFD')
    case 'NFKC': return (s) => s.normalize('NFKC')
    case 'NFKD': return (s) => s.normalize('NFKD')
    case 'Lowercase': return lowercase
    case 'Strip': {
      const left = bool(ctx, o, 'strip_left', true)
      const right = bool(ctx, o, 'strip_right', true)
      return (s) => strip(s, left, right)
    }
    // unicode-normalization's is_combining_mark: every General_Category M (Mn, Mc, Me)
    case 'StripAccents': return (s) => s.replace(/\p{M}/gu, '')
    case 'Prepend': {
      const p = str(ctx, o, 'prepend')
      return (s) => (s.length === 0 ? s : p + s)
    }
    case 'Append': {
      const p = str(ctx, o, 'append')
      return (s) => (s.length === 0 ? s : s + p)
    }
    case 'Replace': {
      const { re, literal } = replacePattern(ctx, o)
      const content = str(ctx, o, 'content')
      if (literal !== undefined) return (s) => s.replaceAll(literal, content)
      return (s) => s.replace(re, () => content)
    }
    case 'BertNormalizer': return bertNormalizer(ctx, o)
    case 'Precompiled': {
      const b64 = str(ctx, o, 'precompiled_charsmap', '')
      // an empty charsmap is the identity (tokenizers accepts it)
      if (b64 === '') return (s) => s
      try {
        const map = new PrecompiledCharsmap(Buffer.from(b64, 'base64'))
        return (s) => map.normalize(s)
      } catch (e) {
        return fail(ctx, `Precompiled: ${(e as Error).message}`)
      }
    }
    default: return unsupported(ctx, 'normalizer', o.type)
  }
}

/** `{"String": "x"}` or `{"Regex": "..."}`, as in Replace and Split */
export function replacePattern(ctx: Ctx, o: Json): { re: RegExp; literal?: string } {
  const p = asObject(ctx, o.pattern, `${String(o.type)}.pattern`)
  if (typeof p.String === 'string') return { re: literalRegex(p.String), literal: p.String }
  if (typeof p.Regex === 'string') {
    try {
      return { re: compileSplitRegex(p.Regex, { dialect: 'oniguruma', where: ctx.source }) }
    } catch (e) {
      fail(ctx, `${String(o.type)}: cannot translate regex ${JSON.stringify(p.Regex)}: ${(e as Error).message}`)
    }
  }
  return fail(ctx, `${String(o.type)}: pattern must be {"String": ...} or {"Regex": ...}`)
}

/**
 * Rust lowercases char by char (`char::to_lowercase`), so a final capital sigma becomes σ, where
 * JS's context-sensitive `toLowerCase` would give ς. Only Σ differs; take the fast path otherwise.
 */
function lowercase(s: string): string {
  if (!s.includes('\u03a3')) return s.toLowerCase()
  let out = ''
  for (const ch of s) out += ch === '\u03a3' ? '\u03c3' : ch.toLowerCase()
  return out
}

function strip(s: string, left: boolean, right: boolean): string {
  let a = 0
  let b = s.length
  if (left) while (a < b && isWhiteSpace(s.charCodeAt(a))) a++
  if (right) while (b > a && isWhiteSpace(s.charCodeAt(b - 1))) b--
  return s.slice(a, b)
}

/** BERT's `is_control`: "Other" categories Cc, Cf, Cs, Co (not unassigned Cn) except \t \n \r */
const OTHER = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}]$/u

/** CJK ideograph blocks BERT pads with spaces (tokenizers' `is_chinese_char`). */
function isChineseChar(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x20000 && c <= 0x2a6df) ||
    (c >= 0x2a700 && c <= 0x2b73f) || (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b920 && c <= 0x2ceaf) ||
    (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f)
}

function bertNormalizer(ctx: Ctx, o: Json): Normalizer {
  const cleanText = bool(ctx, o, 'clean_text', true)
  const chinese = bool(ctx, o, 'handle_chinese_chars', true)
  const lower = bool(ctx, o, 'lowercase', true)
  const sa = o.strip_accents
  const stripAccents = sa === null || sa === undefined ? lower : Boolean(sa)
  return (s) => {
    if (cleanText || chinese) {
      let out = ''
      for (const ch of s) {
        const c = ch.codePointAt(0)!
        if (cleanText) {
          // tokenizers keeps \t \n \r out of "control" and maps all whitespace to ' '
          if (c === 0 || c === 0xfffd || (c !== 0x09 && c !== 0x0a && c !== 0x0d && OTHER.test(ch))) continue
          if (isWhiteSpace(c)) { out += ' '; continue }
        }
        if (chinese && isChineseChar(c)) { out += ` ${ch} `; continue }
        out += ch
      }
      s = out
    }
    if (stripAccents) s = s.normalize('NFD').replace(/\p{Mn}/gu, '')
    if (lower) s = lowercase(s)
    return s
  }
}
