/**
 * Helpers of the encode hot paths: a UTF-8 encoder into a reused buffer, and `SpanCache`, a
 * chunk → ids memo keyed by a span of a larger string (a hit builds no substring).
 */

/**
 * UTF-8 encode `s` into `buf` (which must hold 3 bytes per UTF-16 unit); returns the byte count.
 * A plain loop beats TextEncoder.encodeInto's call overhead on short chunks. Lone surrogates
 * become U+FFFD, as TextEncoder does.
 */
export function utf8Encode(s: string, buf: Uint8Array): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) { buf[n++] = c; continue }
    if (c < 0x800) { buf[n++] = 0xc0 | (c >> 6); buf[n++] = 0x80 | (c & 63); continue }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        i++
        buf[n++] = 0xf0 | (c >> 18); buf[n++] = 0x80 | ((c >> 12) & 63)
        buf[n++] = 0x80 | ((c >> 6) & 63); buf[n++] = 0x80 | (c & 63)
        continue
      }
      c = 0xfffd
    }
    buf[n++] = 0xe0 | (c >> 12); buf[n++] = 0x80 | ((c >> 6) & 63); buf[n++] = 0x80 | (c & 63)
  }
  return n
}

/** One open-addressing table of SpanCache: FNV-1a hash of UTF-16 code units → (key, ids). */
class SpanTable {
  readonly hashes: Int32Array
  readonly keys: Array<string | undefined>
  readonly values: Array<number | number[]>
  readonly mask: number
  count = 0

  constructor(cap: number) {
    this.mask = cap - 1
    this.hashes = new Int32Array(cap)
    this.keys = new Array<string | undefined>(cap).fill(undefined)
    this.values = new Array<number | number[]>(cap).fill(0)
  }

  /** slot holding text[start..end) with hash h, or -1 */
  find(text: string, start: number, end: number, h: number): number {
    const n = end - start
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const key = this.keys[s]
      if (key === undefined) return -1
      if (this.hashes[s] === h && key.length === n) {
        let i = 0
        while (i < n && key.charCodeAt(i) === text.charCodeAt(start + i)) i++
        if (i === n) return s
      }
    }
  }

  insert(key: string, h: number, value: number | number[]): void {
    let s = h & this.mask
    while (this.keys[s] !== undefined) s = (s + 1) & this.mask
    this.keys[s] = key
    this.hashes[s] = h
    this.values[s] = value
    this.count++
  }

  clear(): void {
    this.keys.fill(undefined)
    this.count = 0
  }
}

/**
 * Chunk → ids memo keyed by a span of a larger string, so a hit allocates nothing: no substring
 * is built to look it up (a Map keyed by fresh substrings spent ~40% of encoding time hashing
 * them). Two generations approximate LRU cheaply: entries go to the young table; when it is
 * half full it becomes the old one (the previous old one is dropped), and a hit in the old table
 * is copied back into the young one, so frequent chunks survive a flood of one-off chunks.
 */
export class SpanCache {
  private young: SpanTable
  private old: SpanTable
  private readonly limit: number
  /** the hash of the span last passed to `get`, reused by `set` */
  private lastHash = 0

  constructor(capacityLog2 = 17) {
    this.young = new SpanTable(1 << capacityLog2)
    this.old = new SpanTable(1 << capacityLog2)
    this.limit = 1 << (capacityLog2 - 1)
  }

  /** ids cached for text[start..end): a number for a single id, an array otherwise */
  get(text: string, start: number, end: number): number | number[] | undefined {
    let h = 0x811c9dc5
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
    this.lastHash = h
    let s = this.young.find(text, start, end, h)
    if (s >= 0) return this.young.values[s]
    s = this.old.find(text, start, end, h)
    if (s < 0) return undefined
    const value = this.old.values[s]!
    this.put(this.old.keys[s]!, h, value)
    return value
  }

  /** store ids for `key`, which must be the span of the `get` that just missed */
  set(key: string, value: number | number[]): void {
    this.put(key, this.lastHash, value)
  }

  private put(key: string, h: number, value: number | number[]): void {
    if (this.young.count >= this.limit) {
      const dropped = this.old
      this.old = this.young
      dropped.clear()
      this.young = dropped
    }
    this.young.insert(key, h, value)
  }

  /** entries currently reachable (young + old; a promoted entry may count twice) */
  get size(): number { return this.young.count + this.old.count }
}
