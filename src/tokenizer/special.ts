import type { EncodeOptions } from './types.js'

/** The special-token texts that `allowedSpecial` lets become control tokens (EncodeOptions). */
export function allowedSpecialNames(specials: ReadonlyMap<string, number>, allowed: EncodeOptions['allowedSpecial'] = 'none'): string[] {
  if (allowed === 'none') return []
  return [...specials.keys()].filter((t) => allowed === 'all' || allowed.has(t))
}

/**
 * Encode `text` in which the texts in `names` stand for control tokens: each leftmost occurrence
 * (the longest name on a tie) becomes its id from `specials`, and the text between occurrences
 * is encoded by `encodePlain` on its own, as separate calls would be.
 *   encodeWithSpecials('a<s>b', ['<s>'], {'<s>' → 1}, enc, out) → enc('a'), 1, enc('b')
 */
export function encodeWithSpecials(
  text: string,
  names: readonly string[],
  specials: ReadonlyMap<string, number>,
  encodePlain: (text: string, out: number[]) => void,
  out: number[],
): void {
  let rest = text
  for (;;) {
    let at = -1
    let name = ''
    for (const t of names) {
      const i = rest.indexOf(t)
      if (i !== -1 && (at === -1 || i < at || (i === at && t.length > name.length))) { at = i; name = t }
    }
    if (at === -1) break
    encodePlain(rest.slice(0, at), out)
    out.push(specials.get(name)!)
    rest = rest.slice(at + name.length)
  }
  encodePlain(rest, out)
}
