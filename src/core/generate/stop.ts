/**
 * Stop strings on a text stream: text is released only once it cannot be the start of a stop
 * string, so a stop that spans several tokens ("\n\nUser:" arriving as "\n", "\nUser", ":") is
 * caught and never printed. The stop string itself is not emitted (llama.cpp, OpenAI behaviour).
 */
export class StopMatcher {
  private readonly stops: string[]
  private held = ''
  private done = false

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0)
  }

  get stopped(): boolean { return this.done }

  /** Feed new text; returns the text safe to emit and whether a stop string was hit. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.done) return { text: '', stopped: true }
    this.held += text
    if (this.stops.length === 0) { const out = this.held; this.held = ''; return { text: out, stopped: false } }
    let first = -1
    for (const s of this.stops) {
      const i = this.held.indexOf(s)
      if (i >= 0 && (first < 0 || i < first)) first = i
    }
    if (first >= 0) {
      const out = this.held.slice(0, first)
      this.held = ''
      this.done = true
      return { text: out, stopped: true }
    }
    const keep = this.partialSuffix()
    const out = this.held.slice(0, this.held.length - keep)
    this.held = this.held.slice(this.held.length - keep)
    return { text: out, stopped: false }
  }

  /** End of generation without a stop: release what was held back. */
  flush(): string {
    const out = this.done ? '' : this.held
    this.held = ''
    return out
  }

  /** length of the longest suffix of `held` that is a proper prefix of some stop string */
  private partialSuffix(): number {
    let best = 0
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.held.length); n > best; n--) {
        if (this.held.endsWith(s.slice(0, n))) { best = n; break }
      }
    }
    return best
  }
}
