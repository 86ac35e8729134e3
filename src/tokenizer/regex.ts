/**
 * Translate a pre-tokenizer split pattern written for Rust's `regex`/`fancy-regex` (tiktoken) or
 * Oniguruma (Hugging Face `Split`, `Replace`, `ByteLevel`: Ruby syntax) into a JavaScript RegExp
 * source (flag `v`; also valid with `u` unless it nests classes) that matches exactly the same
 * spans. The pattern is parsed into a small syntax tree and re-emitted; every construct whose
 * meaning differs between the engines is rewritten, anything we cannot translate faithfully is
 * refused with an error naming the construct and its offset (never silently approximated).
 *
 * Rules (source meaning → JS emitted), applied inside and outside character classes:
 *  1. `\s` is Unicode White_Space (JS `\s` also has U+FEFF, lacks U+0085) → `\p{White_Space}`.
 *  2. `\d` is Unicode Nd (JS: ASCII) → `\p{Nd}`; `\w` is Unicode → Alphabetic+M+Nd+Pc (+
 *     Join_Control in Rust); `\W` → its complement (a nested class inside a class).
 *  3. `.` excludes only `\n` → `[^\n]`; dotall (`s` in Rust, `m` in Oniguruma) → `[^]`.
 *  4. Case-insensitive groups (V8 in Node 20 has no modifiers): every literal and range is
 *     expanded to its simple-case-folding class computed from the JS engine's own `iu` matching
 *     (`s` → `[Ssſ]`, `k` → `[KkK]`, `µ` → `[µΜμ]`). Unicode properties under `(?i)` are refused
 *     (their folded closure is not expressible; Oniguruma's own is position-dependent).
 *  5. Atomic groups `(?>X)` and possessive `X*+ X++ X?+` → `(?=(X))\k`: a lookahead is atomic
 *     in JS, and consuming what it captured forbids backtracking into it. Other groups are
 *     emitted non-capturing, so the numbers are ours. `X{n,m}+` is possessive in Rust but a
 *     repetition of the repetition in Oniguruma (`\p{N}{1,3}+` matches "12345" whole).
 *  6. `\A` → `^`, `\z` → `$` (no `m` flag is emitted); `\b` `\B` → lookarounds over rule 2's `\w`.
 *  7. Escapes `\xHH \x{H…} \uHHHH \t \n \r \f \v \a \e \0` (Rust also `\u{…} \UHHHHHHHH`,
 *     Oniguruma also octal `\0oo`, `[\b]`, `\h`/`\H` hex digits) → `\u{…}`; escaped punctuation
 *     → the literal. `\pL` → `\p{L}`; a bare script name `\p{Greek}` → `\p{Script=Greek}`.
 *  8. Unicode tables are the JS engine's (Node 20.20: Unicode 17); characters assigned after the
 *     reference library's tables are classified differently there.
 * Dialects: 'rust' (default: tiktoken's fancy-regex) and 'oniguruma' (Hugging Face), which also
 * differ in: Oniguruma's `^`/`$` are LINE anchors (→ `(?<![^\n])`, `(?![^\n])`), it has `\Z`,
 * `{,n}`, `(?#…)` comments, nested classes `[a[b]]` and intersections `[a-z&&[^aeiou]]`, and an
 * isolated option swallows the alternatives after it (`ab(?i)c|d` is `ab(?i:c|d)`). Oniguruma's
 * multi-character folding (`(?i)ß` matching "ss") is not reproduced. Refused: back-references,
 * POSIX classes, class set operations in Rust, flag x, loose property names (`\p{alpha}`).
 */
import { LlmError } from '../core/errors.js'

type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; branches: Node[] }
  | { t: 'group'; kind: 'plain' | 'ahead' | 'nahead' | 'behind' | 'nbehind' | 'atomic'; body: Node }
  | { t: 'repeat'; body: Node; min: number; max: number; lazy: boolean; possessive: boolean }
  | { t: 'char'; cp: number; ci: boolean }
  | ClassNode
  | { t: 'raw'; src: string } // already-JS atoms: properties, shorthand classes, anchors, dot

/** a bracket class: the intersection of its operands (one, unless Oniguruma's `&&` is used) */
type ClassNode = { t: 'class'; negated: boolean; operands: ClassItem[][]; ci: boolean }
type ClassItem = { t: 'range'; lo: number; hi: number } | { t: 'raw'; src: string } | { t: 'nested'; node: ClassNode }

export type RegexDialect = 'rust' | 'oniguruma'

/** the members of `\w` (UTS #18 Annex C for Rust; Oniguruma's Unicode "Word") */
const WORD: Record<RegexDialect, string> = {
  rust: '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}',
  oniguruma: '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}',
}
const INF = Number.POSITIVE_INFINITY

interface Flags { i: boolean; s: boolean }

class Parser {
  pos = 0
  /** a `{…}` that is a repetition (else it is a literal '{'); Oniguruma also has `{,n}` */
  readonly interval: RegExp
  constructor(readonly src: string, readonly where: string | undefined, readonly dialect: RegexDialect) {
    this.interval = dialect === 'rust' ? /^\{\d+(,\d*)?\}/ : /^\{(\d+(,\d*)?|,\d+)\}/
  }

  fail(what: string, at = this.pos): never {
    throw new LlmError(`cannot translate split regex: ${what} at offset ${at} of /${this.src}/`, {
      where: this.where,
      hint: 'only Rust-regex/Oniguruma constructs with an exact JavaScript equivalent are supported',
    })
  }

  peek(): string { return this.src[this.pos] ?? '' }
  eat(s: string): boolean {
    if (this.src.startsWith(s, this.pos)) { this.pos += s.length; return true }
    return false
  }
  /** next code point as a number, advancing past it */
  codePoint(): number {
    const cp = this.src.codePointAt(this.pos)
    if (cp === undefined) this.fail('unexpected end of pattern')
    this.pos += cp > 0xffff ? 2 : 1
    return cp
  }

  parseAlt(outer: Flags): Node {
    // `(?i)` inside a group changes the rest of that group, later alternatives included
    const flags = { ...outer }
    const branches: Node[] = [this.parseSeq(flags)]
    while (this.eat('|')) branches.push(this.parseSeq(flags))
    return branches.length === 1 ? branches[0]! : { t: 'alt', branches }
  }

  parseSeq(flags: Flags): Node {
    const items: Node[] = []
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.parseAtom(flags)
      if (atom === null) continue
      items.push(this.parseQuantifier(atom))
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items }
  }

  parseQuantifier(atom: Node): Node {
    let node = atom
    for (;;) {
      const start = this.pos
      let min: number, max: number
      if (this.eat('*')) { min = 0; max = INF }
      else if (this.eat('+')) { min = 1; max = INF }
      else if (this.eat('?')) { min = 0; max = 1 }
      else if (this.peek() === '{' && this.interval.test(this.src.slice(this.pos))) {
        const m = /^\{(\d*)(,(\d*))?\}/.exec(this.src.slice(this.pos))!
        this.pos += m[0].length
        min = Number(m[1]); max = m[2] === undefined ? min : m[3] === '' ? INF : Number(m[3])
        if (max < min) this.fail('repetition {n,m} with m < n', start)
      } else return node
      if (node.t === 'raw' && /^[\^$]|^\(\?[=!]/.test(node.src)) this.fail('quantified assertion', start)
      const lazy = this.eat('?')
      // Oniguruma (Ruby syntax): `X{n,m}+` repeats `X{n,m}`; the loop reads that '+' next
      const braces = this.src[start] === '{'
      const possessive = !lazy && !(braces && this.dialect === 'oniguruma') && this.eat('+')
      node = { t: 'repeat', body: node, min, max, lazy, possessive }
    }
  }

  parseAtom(flags: Flags): Node | null {
    const at = this.pos
    const c = this.peek()
    if (c === '(') return this.parseGroup(flags)
    if (c === '[') return this.parseClass(flags)
    if (c === '.') { this.pos++; return { t: 'raw', src: flags.s ? '[^]' : '[^\\n]' } }
    if (c === '^' || c === '$') {
      this.pos++
      if (this.dialect === 'rust') return { t: 'raw', src: c }
      return { t: 'raw', src: c === '^' ? '(?<![^\\n])' : '(?![^\\n])' }
    }
    if (c === '\\') return this.parseEscape(flags, false) as Node
    if (c === '*' || c === '+' || c === '?') this.fail(`nothing to repeat before '${c}'`, at)
    return { t: 'char', cp: this.codePoint(), ci: flags.i }
  }

  parseGroup(flags: Flags): Node | null {
    const at = this.pos
    this.pos++ // (
    let kind: 'plain' | 'ahead' | 'nahead' | 'behind' | 'nbehind' | 'atomic' = 'plain'
    let inner = flags
    if (this.eat('?')) {
      if (this.eat(':')) kind = 'plain'
      else if (this.eat('=')) kind = 'ahead'
      else if (this.eat('!')) kind = 'nahead'
      else if (this.eat('<=')) kind = 'behind'
      else if (this.eat('<!')) kind = 'nbehind'
      else if (this.eat('>')) kind = 'atomic'
      else if (this.dialect === 'oniguruma' && this.eat('#')) { // comment
        const end = this.src.indexOf(')', this.pos)
        if (end < 0) this.fail('unterminated comment group', at)
        this.pos = end + 1
        return null
      } else if ((this.dialect === 'rust' && this.eat('P<')) || this.eat('<')) { // named capture: the name is irrelevant for splitting
        const m = /^[A-Za-z_][A-Za-z0-9_]*>/.exec(this.src.slice(this.pos))
        if (!m) this.fail('bad group name', at)
        this.pos += m[0].length
      } else {
        // flag group: (?flags) or (?flags:...)
        const m = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(this.src.slice(this.pos))
        if (!m) this.fail('unknown group syntax', at)
        const next = { ...flags }
        for (const [letters, on] of [[m[1]!, true], [m[2] ?? '', false]] as const) {
          for (const f of letters) {
            if (f === 'i') next.i = on
            else if (f === (this.dialect === 'rust' ? 's' : 'm')) next.s = on // dotall
            else if (f === 'u' && on && this.dialect === 'rust') { /* Unicode mode is always on */ }
            else this.fail(`unsupported flag '${f}'`, at)
          }
        }
        this.pos += m[0].length
        if (m[3] === ')') {
          // Rust: applies to the rest of the group. Oniguruma: the rest of the group, later
          // alternatives included, becomes one group (`ab(?i)c|d` is `ab(?i:c|d)`).
          if (this.dialect === 'rust') { Object.assign(flags, next); return null }
          return { t: 'group', kind: 'plain', body: this.parseAlt(next) }
        }
        inner = next
      }
    }
    const body = this.parseAlt({ ...inner })
    if (!this.eat(')')) this.fail("missing ')'", at)
    return { t: 'group', kind, body }
  }

  /** An escape outside (inClass=false) or inside a bracket class. */
  parseEscape(flags: Flags, inClass: boolean): Node | ClassItem {
    const at = this.pos
    this.pos++ // backslash
    const c = this.peek()
    if (c === '') this.fail('trailing backslash', at)
    this.pos++
    const lit = (cp: number): Node | ClassItem => inClass ? { t: 'range', lo: cp, hi: cp } : { t: 'char', cp, ci: flags.i }
    const raw = (src: string): Node | ClassItem => ({ t: 'raw', src })
    const onig = this.dialect === 'oniguruma'
    const WORD_ = WORD[this.dialect]
    switch (c) {
      case 's': return raw('\\p{White_Space}')
      case 'S': return raw('\\P{White_Space}')
      case 'd': return raw('\\p{Nd}')
      case 'D': return raw('\\P{Nd}')
      case 'w': return raw(inClass ? WORD_ : `[${WORD_}]`)
      case 'W': return raw(`[^${WORD_}]`) // inside a class: a nested class (flag v)
      case 'h': case 'H':
        if (!onig) this.fail(`unsupported escape \\${c}`, at)
        return raw(c === 'H' ? '[^0-9a-fA-F]' : inClass ? '0-9a-fA-F' : '[0-9a-fA-F]')
      case 'p': case 'P': {
        const prop = this.property(c === 'P', at)
        // Oniguruma folds them inconsistently (`(?i)\p{Lu}` matches the c of "aAbBc", not of "xcz")
        if (flags.i) this.fail('Unicode property inside a case-insensitive group', at)
        return raw(prop)
      }
      case 'A': if (inClass) this.fail('\\A inside a class', at); return raw('^')
      case 'z': if (inClass) this.fail('\\z inside a class', at); return raw('$')
      case 'Z':
        if (inClass || this.dialect === 'rust') this.fail('unsupported escape \\Z', at)
        return raw('(?=\\n?$)')
      case 'b': case 'B': {
        if (inClass && c === 'b' && onig) return lit(8) // backspace, as in Oniguruma
        if (inClass) this.fail('\\b inside a class', at)
        const w = `[${WORD_}]`
        return raw(c === 'b' ? `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))` : `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`)
      }
      case 't': return lit(9)
      case 'n': return lit(10)
      case 'v': return lit(11)
      case 'f': return lit(12)
      case 'r': return lit(13)
      case 'a': return lit(7)
      case 'e': return lit(27)
      case '0': {
        if (!onig) return lit(0)
        const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))! // Oniguruma: octal \0oo
        this.pos += m[0].length
        return lit(parseInt(`0${m[0]}`, 8))
      }
      case 'x': case 'u': case 'U': {
        // Oniguruma (Ruby syntax) has neither \U nor \u{…}
        if (onig && (c === 'U' || (c === 'u' && this.peek() === '{'))) this.fail(`unsupported escape \\${c}`, at)
        const braced = /^\{([0-9a-fA-F]{1,8})\}/.exec(this.src.slice(this.pos))
        const width = c === 'x' ? 2 : c === 'u' ? 4 : 8
        const fixed = new RegExp(`^[0-9a-fA-F]{${width}}`).exec(this.src.slice(this.pos))
        const m = braced ?? fixed
        if (!m) this.fail(`bad \\${c} escape`, at)
        this.pos += m[0].length
        const cp = parseInt(braced ? braced[1]! : m[0], 16)
        if (cp > 0x10ffff) this.fail('code point out of range', at)
        return lit(cp)
      }
      default:
        if (/[0-9A-Za-z]/.test(c)) this.fail(`unsupported escape \\${c}`, at)
        this.pos-- // escaped punctuation (or any non-alphanumeric): the literal itself
        return lit(this.codePoint())
    }
  }

  property(negated: boolean, at: number): string {
    let name: string
    if (this.eat('{')) {
      const end = this.src.indexOf('}', this.pos)
      if (end < 0) this.fail("missing '}' in \\p{…}", at)
      name = this.src.slice(this.pos, end)
      this.pos = end + 1
      if (name.startsWith('^')) { negated = !negated; name = name.slice(1) }
    } else {
      name = this.peek()
      this.pos++
    }
    const p = negated ? 'P' : 'p'
    for (const candidate of [name, `Script=${name}`]) {
      try {
        new RegExp(`\\${p}{${candidate}}`, 'u')
        return `\\${p}{${candidate}}`
      } catch { /* try the next spelling */ }
    }
    return this.fail(`unknown Unicode property '${name}'`, at)
  }

  parseClass(flags: Flags): ClassNode {
    const at = this.pos
    this.pos++ // [
    const negated = this.eat('^')
    let items: ClassItem[] = []
    const operands = [items]
    const onig = this.dialect === 'oniguruma'
    // a ']' right after '[' or '[^' is a literal, as in Rust and Oniguruma
    for (let first = true; first || this.peek() !== ']'; first = false) {
      if (this.pos >= this.src.length) this.fail("missing ']'", at)
      if (this.src.startsWith('[:', this.pos)) this.fail('POSIX class')
      if (this.peek() === '[') {
        if (!onig) this.fail('nested class')
        items.push({ t: 'nested', node: this.parseClass(flags) }) // a union member (flag v)
        continue
      }
      if (onig && this.eat('&&')) { // intersection: the operands are emitted as nested classes
        if (items.length === 0) this.fail('empty class intersection operand')
        operands.push(items = [])
        continue
      }
      if (!onig && /^(&&|--|~~)/.test(this.src.slice(this.pos))) this.fail('class set operation')
      const item = this.classAtom(flags)
      // `a-z` is a range; a '-' just before ']' is a literal
      if (item.t === 'range' && this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        this.pos++
        const hi = this.peek() === '[' ? undefined : this.classAtom(flags)
        if (hi?.t !== 'range') this.fail('class range ending in a class escape')
        if (hi.lo < item.lo) this.fail('reversed class range')
        item.hi = hi.lo
      }
      items.push(item)
    }
    if (items.length === 0) this.fail('empty class intersection operand')
    this.pos++ // ]
    return { t: 'class', negated, operands, ci: flags.i }
  }

  classAtom(flags: Flags): ClassItem {
    if (this.peek() === '\\') return this.parseEscape(flags, true) as ClassItem
    const cp = this.codePoint()
    return { t: 'range', lo: cp, hi: cp }
  }
}

/** JS source for one code point, safe both inside and outside a class in `u` mode. */
function lit(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x20 || cp === 0x27) {
    return String.fromCodePoint(cp)
  }
  return `\\u{${cp.toString(16)}}`
}

let allScalars: string | undefined
const foldCache = new Map<number, number[]>()

/** every Unicode scalar value in order, as one string (built once, as UTF-16 code units) */
function scalars(): string {
  if (allScalars === undefined) {
    const units = new Uint16Array(0x10000 - 0x800 + (0x110000 - 0x10000) * 2)
    let n = 0
    for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) units[n++] = c
    for (let c = 0x10000; c < 0x110000; c++) {
      const v = c - 0x10000
      units[n++] = 0xd800 | (v >> 10)
      units[n++] = 0xdc00 | (v & 0x3ff)
    }
    allScalars = new TextDecoder('utf-16le').decode(units)
  }
  return allScalars
}

/**
 * Every code point that simple case folding makes equal to `cp` (itself included), found by
 * asking the JS engine's `iu` matcher over all Unicode scalar values (~3 ms a code point, cached).
 */
export function caseFoldClass(cp: number): number[] {
  const hit = foldCache.get(cp)
  if (hit) return hit
  const re = new RegExp(lit(cp), 'giu')
  const out = [...scalars().matchAll(re)].map((m) => m[0].codePointAt(0)!)
  foldCache.set(cp, out)
  return out
}

const MAX_FOLD_RANGE = 4096 // expanding a wider case-insensitive range would bloat the class

/** JS for a class node: one operand as is, an intersection as `[[A]&&[B]]` (flag v) */
function emitClass(n: ClassNode): string {
  const ops = n.operands.map((o) => emitClassItems(o, n.ci))
  return `[${n.negated ? '^' : ''}${ops.length === 1 ? ops[0] : ops.map((o) => `[${o}]`).join('&&')}]`
}

function emitClassItems(items: ClassItem[], ci: boolean): string {
  let s = ''
  for (const it of items) {
    if (it.t === 'raw') { s += it.src; continue }
    if (it.t === 'nested') { s += emitClass(it.node); continue }
    s += it.lo === it.hi ? lit(it.lo) : `${lit(it.lo)}-${lit(it.hi)}`
    if (!ci) continue
    if (it.hi - it.lo > MAX_FOLD_RANGE) throw new LlmError(`cannot translate split regex: case-insensitive range wider than ${MAX_FOLD_RANGE}`)
    for (let c = it.lo; c <= it.hi; c++) {
      for (const f of caseFoldClass(c)) if (f < it.lo || f > it.hi) s += lit(f)
    }
  }
  return s
}

class Emitter {
  groups = 0 // capture groups emitted so far (only atomic-group emulation captures)

  emit(n: Node): string {
    switch (n.t) {
      case 'seq': return n.items.map((x) => this.emit(x)).join('')
      case 'alt': return n.branches.map((x) => this.emit(x)).join('|')
      case 'raw': return n.src
      case 'char': {
        if (!n.ci) return lit(n.cp)
        const fold = caseFoldClass(n.cp)
        return fold.length > 1 ? `[${fold.map(lit).join('')}]` : lit(n.cp)
      }
      case 'class': return emitClass(n)
      case 'group': {
        if (n.kind === 'atomic') return this.atomic(n.body)
        const open = { plain: '(?:', ahead: '(?=', nahead: '(?!', behind: '(?<=', nbehind: '(?<!' }[n.kind]
        return `${open}${this.emit(n.body)})`
      }
      case 'repeat': {
        if (n.possessive) return this.atomic({ ...n, possessive: false })
        const q = n.min === 0 && n.max === INF ? '*'
          : n.min === 1 && n.max === INF ? '+'
          : n.min === 0 && n.max === 1 ? '?'
          : n.max === INF ? `{${n.min},}`
          : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`
        // a single character, class or property takes the quantifier as is; anything else in a group
        const b = n.body
        const single = b.t === 'char' || b.t === 'class' || (b.t === 'raw' && /^(\\[pP]\{[^}]*\}|\[[^\]]*\])$/.test(b.src))
        const body = this.emit(b)
        return `${single ? body : `(?:${body})`}${q}${n.lazy ? '?' : ''}`
      }
    }
  }

  /** `(?>X)` as `(?=(X))\N`: the lookahead cannot be re-entered on backtracking. */
  atomic(body: Node): string {
    const k = ++this.groups
    return `(?:(?=(${this.emit(body)}))\\${k})`
  }
}

export interface TranslateOptions {
  /** the file the pattern came from, named in errors */
  where?: string
  /** whose semantics to reproduce; default 'rust' */
  dialect?: RegexDialect
}

/** The JS RegExp source (for flags `u`) equivalent to a Rust-regex/Oniguruma pattern. */
export function translateRegex(pattern: string, opts: TranslateOptions = {}): string {
  const p = new Parser(pattern, opts.where, opts.dialect ?? 'rust')
  const tree = p.parseAlt({ i: false, s: false })
  if (p.pos !== pattern.length) p.fail("unbalanced ')'")
  return new Emitter().emit(tree)
}

const compiled = new Map<string, RegExp>()

/**
 * Translate and compile with flags `gv` (global: for `lastIndex`-driven split loops). Memoized
 * per pattern and dialect; each call returns its own RegExp (its `lastIndex` is the caller's).
 */
export function compileSplitRegex(pattern: string, opts: TranslateOptions = {}): RegExp {
  const key = `${opts.dialect ?? 'rust'}\0${pattern}`
  let re = compiled.get(key)
  if (re === undefined) {
    const src = translateRegex(pattern, opts)
    try {
      re = new RegExp(src, 'gv')
    } catch (err) {
      throw new LlmError(`cannot compile translated split regex /${pattern}/: ${(err as Error).message}`, { where: opts.where, cause: err })
    }
    compiled.set(key, re)
  }
  return new RegExp(re)
}

/** A global RegExp matching the literal string `s` (a `{"String": …}` pattern). */
export function literalRegex(s: string): RegExp {
  return new RegExp(s.replace(/[\\^$.*+?()[\]{}|/]/g, (m) => '\\' + m), 'gv')
}
