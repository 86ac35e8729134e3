import { WHITE_SPACE_CLASS } from './chars.js'

/**
 * Translate an Oniguruma pattern (what tokenizers' `SysRegex` compiles, Ruby syntax) into an
 * equivalent JS RegExp (flag `v`). The differences that change tokenization:
 *  - `\s` is Unicode White_Space, which does NOT contain U+FEFF (JS `\s` does); `\S` likewise.
 *  - `\d` / `\w` are Unicode (JS: ASCII only).
 *  - `^` / `$` are line anchors (after/before `\n` only); `.` excludes only `\n`.
 *  - `(?i:...)` groups (JS in Node 20 has no modifiers): letters are expanded into classes that
 *    include the Unicode case-fold partners (`s` ~ `ſ`, `k` ~ K-Kelvin).
 *  - possessive `*+ ++ ?+` and atomic `(?>...)`: emulated with the `(?=(?<p>X))\k<p>` idiom;
 *    `X{n,m}+` is Ruby's nested repetition `(?:X{n,m})+`, not possessive.
 * Throws a plain Error naming the construct for anything it does not translate.
 */
export function translateOnig(pattern: string): string {
  return new Translator(pattern).run()
}

const WS_OUT = `[${WHITE_SPACE_CLASS}]`
const NOT_WS = `[^${WHITE_SPACE_CLASS}]`
const WORD_BODY = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}'
/** outside a class, `v` (like `u`) accepts only these escaped: the syntax characters and `/` */
const SYNTAX = new Set('^$\\.*+?()[]{}|/')
/** inside a `v` class these must be escaped (syntax characters plus reserved punctuators) */
const ESCAPABLE = new Set('^$\\.*+?()[]{}|/&-!#%,:;<=>@`~')
const FOLD_EXTRA: Record<string, string> = { s: 'ſ', k: '\u212a', 'å': '\u212b' }

function caseVariants(ch: string): string[] {
  const lower = ch.toLowerCase()
  const set = new Set([ch, lower, ch.toUpperCase()].filter((c) => [...c].length === 1))
  const extra = FOLD_EXTRA[lower]
  if (extra) set.add(extra)
  return [...set]
}

/** a literal char for inside a `v` class */
function escapeLiteral(ch: string): string {
  return ESCAPABLE.has(ch) ? '\\' + ch : ch
}

function propertyEscape(negated: boolean, name: string): string {
  const p = negated ? 'P' : 'p'
  for (const cand of [name, `Script=${name}`]) {
    try {
      new RegExp(`\\${p}{${cand}}`, 'v')
      return `\\${p}{${cand}}`
    } catch { /* try the next spelling */ }
  }
  throw new Error(`unsupported Unicode property \\p{${name}}`)
}

class Translator {
  private i = 0
  private groupId = 0
  constructor(private readonly src: string) {}

  run(): string {
    const out = this.sequence(false, 0)
    if (this.i < this.src.length) throw new Error(`unbalanced ')' at ${this.i}`)
    return out
  }

  /** a sequence of alternatives until ')' or the end */
  private sequence(ci: boolean, depth: number): string {
    let out = ''
    let atomStart = -1
    const s = this.src
    while (this.i < s.length) {
      const c = s[this.i]!
      if (c === ')') {
        if (depth === 0) throw new Error(`unbalanced ')' at ${this.i}`)
        return out
      }
      if (c === '|') { out += '|'; this.i++; atomStart = -1; continue }
      if (c === '*' || c === '+' || c === '?' || c === '{') {
        const q = this.quantifier()
        if (q !== undefined) {
          if (atomStart < 0) throw new Error(`quantifier without operand at ${this.i}`)
          const next = s[this.i]
          if (next === '+' && q.length > 1) {
            // Ruby syntax: `X{n,m}+` is not possessive but a repetition of the repetition
            this.i++
            out = out.slice(0, atomStart) + `(?:${out.slice(atomStart)}${q})+`
          } else if (next === '+') {
            this.i++
            const atom = out.slice(atomStart)
            const g = `p${this.groupId++}`
            out = out.slice(0, atomStart) + `(?=(?<${g}>${atom}${q}))\\k<${g}>`
          } else if (next === '?') {
            this.i++
            out += q + '?'
          } else {
            out += q
          }
          atomStart = -1
          continue
        }
        // a '{' that is not a quantifier is a literal
        this.i++
        atomStart = out.length
        out += '\\{'
        continue
      }
      atomStart = out.length
      if (c === '(') {
        const g = this.group(ci, depth)
        if (g.inline !== undefined) { ci = g.inline; atomStart = -1; continue }
        out += g.text
        continue
      }
      if (c === '[') { out += this.cls(ci); continue }
      if (c === '\\') { out += this.escape(false, ci); continue }
      this.i++
      if (c === '.') out += '[^\\n]'
      else if (c === '^') out += '(?<![^\\n])'
      else if (c === '$') out += '(?![^\\n])'
      else if (c === ']' || c === '}') out += '\\' + c
      else {
        const cp = s.codePointAt(this.i - 1)!
        const ch = String.fromCodePoint(cp)
        if (cp > 0xffff) this.i++
        const v = ci ? caseVariants(ch) : [ch]
        out += v.length > 1 ? `[${v.map(escapeLiteral).join('')}]` : SYNTAX.has(ch) ? '\\' + ch : ch
      }
    }
    if (depth > 0) throw new Error('unterminated group')
    return out
  }

  private quantifier(): string | undefined {
    const s = this.src
    const c = s[this.i]!
    if (c !== '{') { this.i++; return c }
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(s.slice(this.i))
    if (!m || (m[1] === '' && m[3] === '')) return undefined
    this.i += m[0].length
    return `{${m[1] === '' ? '0' : m[1]}${m[2]}${m[3]}}`
  }

  private group(ci: boolean, depth: number): { text: string; inline?: boolean } {
    const s = this.src
    this.i++ // '('
    let open = '(?:'
    let innerCi = ci
    let atomic = false
    if (s[this.i] === '?') {
      const rest = s.slice(this.i)
      let m: RegExpExecArray | null
      if (rest.startsWith('?:')) this.i += 2
      else if (rest.startsWith('?=') || rest.startsWith('?!')) { open = '(' + rest.slice(0, 2); this.i += 2 }
      else if (rest.startsWith('?<=') || rest.startsWith('?<!')) { open = '(' + rest.slice(0, 3); this.i += 3 }
      else if (rest.startsWith('?>')) { atomic = true; this.i += 2 }
      else if (rest.startsWith('?#')) {
        const end = s.indexOf(')', this.i)
        if (end < 0) throw new Error('unterminated comment group')
        this.i = end + 1
        return { text: '' }
      } else if ((m = /^\?<([A-Za-z_]\w*)>/.exec(rest)) !== null) this.i += m[0].length
      else if ((m = /^\?([imx]*)(?:-([imx]*))?([:)])/.exec(rest)) !== null) {
        this.i += m[0].length
        if (/[mx]/.test((m[1] ?? '') + (m[2] ?? ''))) throw new Error(`unsupported regex option group (${m[0]}`)
        const on = (m[1] ?? '').includes('i') ? true : (m[2] ?? '').includes('i') ? false : ci
        if (m[3] === ')') return { text: '', inline: on }
        innerCi = on
      } else throw new Error(`unsupported group syntax (${rest.slice(0, 4)}`)
    }
    const body = this.sequence(innerCi, depth + 1)
    if (s[this.i] !== ')') throw new Error('unterminated group')
    this.i++
    if (atomic) {
      const g = `p${this.groupId++}`
      return { text: `(?=(?<${g}>${body}))\\k<${g}>` }
    }
    return { text: open + body + ')' }
  }

  /** a bracket class, possibly nested (Onig allows `[a[b]]`) */
  private cls(ci: boolean): string {
    const s = this.src
    this.i++ // '['
    let out = '['
    if (s[this.i] === '^') { out += '^'; this.i++ }
    let first = true
    while (this.i < s.length && (s[this.i] !== ']' || first)) {
      first = false
      const c = s[this.i]!
      if (c === '[') {
        if (s.startsWith('[:', this.i)) throw new Error('unsupported POSIX bracket in regex class')
        out += this.cls(ci)
        continue
      }
      if (c === '&' && s[this.i + 1] === '&') throw new Error('unsupported class intersection (&&)')
      let item: string
      if (c === '\\') item = this.escape(true, ci)
      else {
        const cp = s.codePointAt(this.i)!
        const ch = String.fromCodePoint(cp)
        this.i += ch.length
        item = ci ? caseVariants(ch).map(escapeLiteral).join('') : escapeLiteral(ch)
      }
      // a range a-b (a '-' right before ']' is a literal)
      if (s[this.i] === '-' && s[this.i + 1] !== ']' && s[this.i + 1] !== undefined) {
        this.i++
        let hi: string
        if (s[this.i] === '\\') hi = this.escape(true, false)
        else {
          const ch = String.fromCodePoint(s.codePointAt(this.i)!)
          this.i += ch.length
          hi = escapeLiteral(ch)
        }
        if (ci) throw new Error('unsupported case-insensitive range in class')
        out += `${item}-${hi}`
        continue
      }
      out += item
    }
    if (s[this.i] !== ']') throw new Error('unterminated character class')
    this.i++
    return out + ']'
  }

  private escape(inClass: boolean, ci: boolean): string {
    const s = this.src
    const c = s[this.i + 1]
    if (c === undefined) throw new Error('pattern ends with a backslash')
    this.i += 2
    switch (c) {
      case 's': return inClass ? WHITE_SPACE_CLASS : WS_OUT
      case 'S': return NOT_WS
      case 'd': return '\\p{Nd}'
      case 'D': return '\\P{Nd}'
      case 'w': return inClass ? WORD_BODY : `[${WORD_BODY}]`
      case 'W': return `[^${WORD_BODY}]`
      case 'h': return inClass ? '0-9a-fA-F' : '[0-9a-fA-F]'
      case 'H': return '[^0-9a-fA-F]'
      case 'A': if (inClass) break; return '^'
      case 'z': if (inClass) break; return '$'
      case 'Z': if (inClass) break; return '(?=\\n?$)'
      case 'p': case 'P': {
        let negated = c === 'P'
        let name: string
        if (s[this.i] === '{') {
          const end = s.indexOf('}', this.i)
          if (end < 0) throw new Error('unterminated \\p{')
          name = s.slice(this.i + 1, end)
          this.i = end + 1
          if (name.startsWith('^')) { negated = !negated; name = name.slice(1) }
        } else {
          name = s[this.i] ?? ''
          this.i++
        }
        return propertyEscape(negated, name)
      }
      case 'x': {
        if (s[this.i] === '{') {
          const end = s.indexOf('}', this.i)
          const hex = s.slice(this.i + 1, end)
          this.i = end + 1
          return `\\u{${hex}}`
        }
        const hex = s.slice(this.i, this.i + 2)
        this.i += 2
        return `\\x${hex}`
      }
      case 'u': {
        const hex = s.slice(this.i, this.i + 4)
        this.i += 4
        return `\\u${hex}`
      }
      case 'n': case 'r': case 't': case 'f': case 'v': case '0': case 'b': case 'B':
        if (inClass && (c === 'b' || c === 'B')) break
        return '\\' + c
    }
    if (/[A-Za-z0-9]/.test(c)) throw new Error(`unsupported regex escape \\${c}`)
    const cp = s.codePointAt(this.i - 1)!
    const ch = String.fromCodePoint(cp)
    this.i += ch.length - 1
    if (ci && !inClass) {
      const v = caseVariants(ch)
      if (v.length > 1) return `[${v.map(escapeLiteral).join('')}]`
    }
    return (inClass ? ESCAPABLE : SYNTAX).has(ch) ? '\\' + ch : ch
  }
}

const cache = new Map<string, RegExp>()
/** Compile (and memoize) an Onig pattern as a global JS RegExp. */
export function compileOnig(pattern: string): RegExp {
  let re = cache.get(pattern)
  if (re === undefined) {
    re = new RegExp(translateOnig(pattern), 'gv')
    cache.set(pattern, re)
  }
  return new RegExp(re)
}

/** a RegExp matching the literal string `s` */
export function literalRegExp(s: string): RegExp {
  return new RegExp(s.replace(/[\\^$.*+?()[\]{}|/]/g, (m) => '\\' + m), 'gv')
}
