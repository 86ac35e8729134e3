/**
 * `--include` patterns, with the semantics huggingface_hub's `allow_patterns` uses (Python
 * fnmatch): `*` matches any run of characters INCLUDING `/`, `?` one character, `[abc]`/`[!abc]`
 * a set; a pattern ending in `/` means everything under that folder.
 *   matchGlob('*.json', 'onnx/config.json') === true    (fnmatch's `*` crosses folders)
 *   matchGlob('onnx/', 'onnx/model.onnx') === true
 */
export function globToRegExp(pattern: string): RegExp {
  const p = pattern.endsWith('/') ? pattern + '*' : pattern
  let re = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      const end = p.indexOf(']', i + 2)
      if (end < 0) {
        re += '\\['
        continue
      }
      let body = p.slice(i + 1, end)
      const negate = body.startsWith('!')
      if (negate) body = body.slice(1)
      re += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^')}]`
      i = end
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's')
}

export function matchGlob(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path)
}

/** Files kept by a list of include patterns (all files when the list is empty). */
export function filterIncluded(files: readonly string[], include: readonly string[]): string[] {
  if (include.length === 0) return [...files]
  const res = include.map(globToRegExp)
  return files.filter((f) => res.some((r) => r.test(f)))
}
