/**
 * Exact match: 1 when the prediction equals one of the references after trimming surrounding
 * whitespace (lm-evaluation-harness's exact_match with its common `strip` filter), else 0.
 */
export function exactMatch(prediction: string, references: readonly string[], opts: { ignoreCase?: boolean } = {}): number {
  const norm = (s: string): string => (opts.ignoreCase ? s.trim().toLowerCase() : s.trim())
  const p = norm(prediction)
  return references.some((r) => norm(r) === p) ? 1 : 0
}
