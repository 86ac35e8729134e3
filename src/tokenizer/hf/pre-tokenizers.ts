import { isWhiteSpace, toByteLevel } from './chars.js'
import { type Ctx, type Json, arr, asObject, bool, fail, str, unsupported } from './json.js'
import { replacePattern } from './normalizers.js'
import { compileSplitRegex } from '../regex.js'
import { R50K_PATTERN } from '../tiktoken/fast-split.js'

/**
 * tokenizer.json `pre_tokenizer`s. Each splits a string into pieces (empty pieces dropped, as
 * `PreTokenizedString::split` does).
 */
export interface PreTokenizer {
  /**
   * Append the pieces of `s` to `out`. `atStart`: `s` begins at offset 0 of the original input
   * (Metaspace's prepend_scheme "first" needs it). Returns whether the first piece appended
   * begins at offset 0 of `s`.
   */
  split(s: string, atStart: boolean, out: string[]): boolean
}

type Behavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous'
const BEHAVIORS: readonly string[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous']
type CharTest = (c: number) => boolean

/**
 * `NormalizedString::split`: the matches and the gaps between them, flagged, combined per
 * `behavior`. `m` is a global RegExp or a predicate that makes every matching char a match.
 */
export function splitOn(s: string, m: RegExp | CharTest, behavior: Behavior, invert: boolean, out: string[]): boolean {
  if (s.length === 0) return false
  if (behavior === 'Isolated' && typeof m !== 'function') return isolateRegex(s, m, out)
  const seg: number[] = [] // start, end, isMatch triples covering s
  if (typeof m === 'function') {
    let prev = 0
    for (let i = 0; i < s.length;) {
      const c = s.codePointAt(i)!
      const n = c > 0xffff ? 2 : 1
      if (m(c)) {
        if (prev !== i) seg.push(prev, i, 0)
        seg.push(i, i + n, 1)
        prev = i + n
      }
      i += n
    }
    if (prev !== s.length) seg.push(prev, s.length, 0)
  } else {
    m.lastIndex = 0
    let prev = 0
    let r: RegExpExecArray | null
    while ((r = m.exec(s)) !== null) {
      const a = r.index
      const b = a + r[0].length
      if (prev !== a) seg.push(prev, a, 0)
      seg.push(a, b, 1)
      prev = b
      if (a === b) m.lastIndex = b + (s.codePointAt(b)! > 0xffff ? 2 : 1)
    }
    if (prev !== s.length) seg.push(prev, s.length, 0)
  }
  if (invert) for (let k = 2; k < seg.length; k += 3) seg[k] = 1 - seg[k]!
  const first = out.length
  let firstStart = -1
  const emit = (a: number, b: number): void => {
    if (b > a) {
      if (out.length === first) firstStart = a
      out.push(s.slice(a, b))
    }
  }
  const n = seg.length
  switch (behavior) {
    case 'Isolated':
      for (let k = 0; k < n; k += 3) emit(seg[k]!, seg[k + 1]!)
      break
    case 'Removed':
      for (let k = 0; k < n; k += 3) if (seg[k + 2] === 0) emit(seg[k]!, seg[k + 1]!)
      break
    case 'Contiguous':
    case 'MergedWithPrevious': {
      // runs of equal flags merge (Contiguous); a match joins the piece before it (MergedWithPrevious)
      const merged: number[] = []
      let prevMatch = 0
      for (let k = 0; k < n; k += 3) {
        const isM = seg[k + 2]!
        const join = behavior === 'Contiguous' ? isM === prevMatch : isM === 1 && prevMatch === 0
        if (join && merged.length > 0) merged[merged.length - 1] = seg[k + 1]!
        else merged.push(seg[k]!, seg[k + 1]!)
        prevMatch = isM
      }
      for (let k = 0; k < merged.length; k += 2) emit(merged[k]!, merged[k + 1]!)
      break
    }
    case 'MergedWithNext': {
      const merged: number[] = [] // built right to left
      let prevMatch = 0
      for (let k = n - 3; k >= 0; k -= 3) {
        const isM = seg[k + 2]!
        if (isM === 1 && prevMatch === 0 && merged.length > 0) merged[merged.length - 2] = seg[k]!
        else merged.push(seg[k]!, seg[k + 1]!)
        prevMatch = isM
      }
      for (let k = merged.length - 2; k >= 0; k -= 2) emit(merged[k]!, merged[k + 1]!)
      break
    }
  }
  return firstStart === 0
}

/** the hot path (ByteLevel, Split Isolated): every match and every gap is a piece */
function isolateRegex(s: string, m: RegExp, out: string[]): boolean {
  m.lastIndex = 0
  let prev = 0
  let r: RegExpExecArray | null
  while ((r = m.exec(s)) !== null) {
    const a = r.index
    const len = r[0].length
    if (prev !== a) out.push(s.slice(prev, a))
    if (len > 0) out.push(r[0])
    else m.lastIndex = a + (s.codePointAt(a)! > 0xffff ? 2 : 1)
    prev = a + len
  }
  if (prev !== s.length) out.push(s.slice(prev))
  return true
}

/** ASCII punctuation (Rust `is_ascii_punctuation`) or Unicode category P */
const PUNCT = /^\p{P}$/u
export function isPunctuation(c: number): boolean {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e)
  return PUNCT.test(String.fromCodePoint(c))
}
const NUMERIC = /^\p{N}$/u
/** Rust `char::is_numeric`: categories Nd, Nl, No */
function isNumeric(c: number): boolean {
  if (c < 0x80) return c >= 0x30 && c <= 0x39
  return NUMERIC.test(String.fromCodePoint(c))
}

class ByteLevelPre implements PreTokenizer {
  private readonly re: RegExp
  /** `mapBytes` false: the caller maps pieces to byte-level chars itself (so it can cache raw pieces) */
  constructor(private readonly addPrefixSpace: boolean, private readonly useRegex: boolean, public mapBytes: boolean) {
    // GPT-2's pattern, as tokenizers' byte_level.rs uses when use_regex is true
    this.re = compileSplitRegex(R50K_PATTERN, { dialect: 'oniguruma' })
  }
  split(s: string, _atStart: boolean, out: string[]): boolean {
    if (this.addPrefixSpace && s.charCodeAt(0) !== 0x20) s = ' ' + s
    const first = out.length
    let r = true
    if (this.useRegex) r = splitOn(s, this.re, 'Isolated', false, out)
    else if (s.length > 0) out.push(s)
    if (this.mapBytes) for (let i = first; i < out.length; i++) out[i] = toByteLevel(out[i]!)
    return r
  }
}

class MetaspacePre implements PreTokenizer {
  constructor(private readonly repl: string, private readonly scheme: 'always' | 'first' | 'never', private readonly splitWords: boolean) {}
  split(s: string, atStart: boolean, out: string[]): boolean {
    s = s.replaceAll(' ', this.repl)
    if (!s.startsWith(this.repl) && (this.scheme === 'always' || (this.scheme === 'first' && atStart))) s = this.repl + s
    if (!this.splitWords) {
      if (s.length > 0) out.push(s)
      return true
    }
    const cp = this.repl.codePointAt(0)!
    return splitOn(s, (c) => c === cp, 'MergedWithNext', false, out)
  }
}

class SequencePre implements PreTokenizer {
  constructor(readonly parts: PreTokenizer[]) {}
  split(s: string, atStart: boolean, out: string[]): boolean {
    let cur = [s]
    let zero = true
    for (const p of this.parts) {
      const next: string[] = []
      for (let i = 0; i < cur.length; i++) {
        const r = p.split(cur[i]!, i === 0 && zero && atStart, next)
        if (i === 0) zero = zero && r && next.length > 0
      }
      cur = next
    }
    for (const c of cur) out.push(c)
    return zero
  }
}

/** a pre-tokenizer from a split rule */
function splitter(m: RegExp | CharTest, behavior: Behavior, invert = false): PreTokenizer {
  return { split: (s, _atStart, out) => splitOn(s, m, behavior, invert, out) }
}

function behaviorOf(ctx: Ctx, o: Json, dflt?: Behavior): Behavior {
  const b = o.behavior ?? dflt
  if (typeof b !== 'string' || !BEHAVIORS.includes(b)) fail(ctx, `${String(o.type)}: unknown split behavior '${String(b)}'`)
  return b as Behavior
}

export function buildPreTokenizer(ctx: Ctx, cfg: unknown, last = true): PreTokenizer | undefined {
  if (cfg === null || cfg === undefined) return undefined
  const o = asObject(ctx, cfg, 'pre_tokenizer')
  switch (o.type) {
    case 'Sequence': {
      const list = arr(ctx, o, 'pretokenizers')
      return new SequencePre(list.map((p, i) => buildPreTokenizer(ctx, p, last && i === list.length - 1)!).filter(Boolean))
    }
    case 'ByteLevel':
      return new ByteLevelPre(bool(ctx, o, 'add_prefix_space', true), bool(ctx, o, 'use_regex', true), !last)
    case 'Metaspace': {
      const repl = str(ctx, o, 'replacement', '\u2581')
      if ([...repl].length !== 1) fail(ctx, 'Metaspace: replacement must be one character')
      let scheme = o.prepend_scheme
      if (scheme === undefined || scheme === null) scheme = bool(ctx, o, 'add_prefix_space', true) ? 'always' : 'never'
      if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') fail(ctx, `Metaspace: unknown prepend_scheme '${String(scheme)}'`)
      return new MetaspacePre(repl, scheme, bool(ctx, o, 'split', true))
    }
    case 'Split': {
      const { re } = replacePattern(ctx, o)
      return splitter(re, behaviorOf(ctx, o), bool(ctx, o, 'invert', false))
    }
    case 'Digits':
      return splitter(isNumeric, bool(ctx, o, 'individual_digits', false) ? 'Isolated' : 'Contiguous')
    case 'Whitespace':
      // compiled by the Rust `regex` crate, not Oniguruma: its \w also has Join_Control (ZWJ)
      return splitter(compileSplitRegex('\\w+|[^\\w\\s]+', { where: ctx.source }), 'Removed', true)
    case 'WhitespaceSplit':
      return splitter(isWhiteSpace, 'Removed')
    case 'Punctuation':
      return splitter(isPunctuation, behaviorOf(ctx, o, 'Isolated'))
    case 'CharDelimiterSplit': {
      const d = str(ctx, o, 'delimiter')
      const cp = d.codePointAt(0)
      return splitter((c) => c === cp, 'Removed')
    }
    case 'BertPreTokenizer':
      return new SequencePre([splitter(isWhiteSpace, 'Removed'), splitter(isPunctuation, 'Isolated')])
    default:
      return unsupported(ctx, 'pre_tokenizer', o.type)
  }
}

/** whether the pipeline ends in a ByteLevel step that left byte mapping to the caller */
export function endsInByteLevel(p: PreTokenizer | undefined): boolean {
  if (p instanceof ByteLevelPre) return !p.mapBytes
  if (p instanceof SequencePre) return endsInByteLevel(p.parts.at(-1))
  return false
}
