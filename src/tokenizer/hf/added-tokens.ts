import { isWhiteSpace } from './chars.js'

/**
 * Added tokens (tokenizers' added_vocabulary.rs): found in the text before the model runs, with
 * leftmost-longest matching (their Aho-Corasick), then filtered by single_word and widened by
 * lstrip / rstrip. Two matchers exist: one for `normalized: false` tokens run on the raw text,
 * one for `normalized: true` tokens (their content normalized first) run on normalized text.
 */
export interface AddedToken {
  id: number
  content: string
  special: boolean
  singleWord: boolean
  lstrip: boolean
  rstrip: boolean
  normalized: boolean
}

/** Rust regex `\w`: Alphabetic, marks, decimal digits, connector punctuation, join controls */
const WORD_AT_END = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u
const WORD_AT_START = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u

export class AddedTokenMatcher {
  private readonly re: RegExp
  private readonly byPattern: Map<string, AddedToken>
  /** some token here can match even when no special token is allowed */
  readonly hasNonSpecial: boolean

  /** `patterns[i]` is the text to look for (the normalized content for normalized tokens) */
  constructor(tokens: AddedToken[], patterns: string[]) {
    this.byPattern = new Map()
    tokens.forEach((t, i) => {
      // the first of equal patterns wins, as Aho-Corasick reports the lowest pattern index
      if (patterns[i]!.length > 0 && !this.byPattern.has(patterns[i]!)) this.byPattern.set(patterns[i]!, t)
    })
    // longest first: a JS alternation takes the first alternative that matches at a position
    const alts = [...this.byPattern.keys()].sort((a, b) => b.length - a.length)
    this.re = new RegExp(alts.map((p) => p.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|'), 'gu')
    this.hasNonSpecial = [...this.byPattern.values()].some((t) => !t.special)
  }

  get size(): number {
    return this.byPattern.size
  }

  /**
   * Split `s` into text pieces (`onText(start, end)`, non-empty) and tokens (`onToken(id)`).
   * `allow(t)` false: a special token that must be read as text (tokenizers'
   * encode_special_tokens): its match is skipped, as theirs is.
   */
  split(s: string, allow: (t: AddedToken) => boolean, onText: (a: number, b: number) => void, onToken: (id: number) => void): void {
    let done = 0
    if (this.byPattern.size === 0) {
      if (s.length > 0) onText(0, s.length)
      return
    }
    const re = this.re
    re.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = re.exec(s)) !== null) {
      const t = this.byPattern.get(m[0])!
      let start = m.index
      let stop = start + m[0].length
      if (!allow(t)) continue
      if (t.singleWord) {
        const startOk = start === 0 || !WORD_AT_END.test(s.slice(0, start))
        const stopOk = stop === s.length || !WORD_AT_START.test(s.slice(stop))
        if (!startOk || !stopOk) continue
      }
      if (t.lstrip) {
        let a = start
        while (a > 0 && isWhiteSpaceBefore(s, a)) a -= s.charCodeAt(a - 1) >= 0xdc00 && s.charCodeAt(a - 1) <= 0xdfff ? 2 : 1
        start = Math.max(a, done)
      }
      if (t.rstrip) {
        while (stop < s.length && isWhiteSpace(s.codePointAt(stop)!)) stop += s.codePointAt(stop)! > 0xffff ? 2 : 1
      }
      if (done < start) onText(done, start)
      onToken(t.id)
      done = stop
    }
    if (done < s.length) onText(done, s.length)
  }
}

function isWhiteSpaceBefore(s: string, i: number): boolean {
  // all White_Space chars are in the BMP, so the code unit before i decides
  return isWhiteSpace(s.charCodeAt(i - 1))
}
