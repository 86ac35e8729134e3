/**
 * The shared byte-pair-merge core: tiktoken encodings and Hugging Face byte-level BPE both call it.
 *
 * A chunk (one pre-tokenizer piece) starts as a row of symbols; the adjacent pair with the lowest
 * rank is merged, leftmost first among equals, until no adjacent pair has a rank. What a "rank"
 * is comes from a `MergeRanker`:
 *   - tiktoken (`ByteRanker`): symbols are byte spans of the chunk; a pair's rank is the id of the
 *     byte string the merged span spells (`ByteTokenTable.lookup`), and that id is the new symbol
 *     (tiktoken's `_byte_pair_merge`: rank == token id).
 *   - Hugging Face BPE (`PairRanker`): symbols are vocab ids; a pair's rank is the index of the
 *     line `left right` in `merges`, and the new symbol is `vocab[left + right]`
 *     (`PairMergeTable.set(left, right, rank, mergedId)`).
 *
 * Usage (HF byte-level): build once `const table = new PairMergeTable()` with
 *   `table.set(vocab[l], vocab[r], lineIndex, vocab[l + r])` per merge, `ranker = new
 *   PairRanker(table)`, `merger = new BpeMerger()`; per chunk: `merger.reserve(n)`, write the
 *   initial ids to `merger.symbols[0..n)`, `merger.merge(ranker, n, out)` pushes the final ids.
 * Usage (tiktoken): `encodeBytes(byteRanker, merger, utf8Bytes, n, out)`.
 *
 * Speed: no strings or objects per merge. Symbols live in a doubly linked list over typed arrays
 * indexed by the symbol's original position. Chunks of up to LINEAR_MAX symbols find the minimum
 * by a linear scan (O(n²), fastest for words); longer chunks use a binary heap of packed
 * (rank, position) keys with lazy invalidation (O(n log n)), which picks exactly the same pair
 * because ties are broken by position. Byte strings are looked up by an open-addressing hash over
 * one pooled Uint8Array, so no key string is built. `SpanCache` memoises chunk → ids without
 * building the chunk's substring on a hit.
 */

/** "no merge for this pair" (a rank larger than every real one) */
export const NO_RANK = 0x7fffffff

export interface MergeRanker {
  /**
   * Rank of merging the adjacent symbols `leftId` `rightId` (lower merges first), or NO_RANK.
   * `start`/`end` are the offsets (from the `offsets` given to merge) the merged symbol would span.
   */
  pairRank(leftId: number, rightId: number, start: number, end: number): number
  /** the symbol id a merge of rank `rank` produces */
  mergedId(rank: number): number
}

const hashBytes = (buf: Uint8Array, start: number, end: number): number => {
  let h = 0x811c9dc5 // FNV-1a
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
  return h >>> 0
}

/** Byte string → id, for ids in [0, maxId]. Built once; lookups allocate nothing. */
export class ByteTokenTable {
  /** all token bytes, back to back (read-only for callers: hot loops copy from it directly) */
  readonly pool: Uint8Array
  /** per id: offset of its bytes in `pool`, -1 if the id has no bytes */
  readonly start: Int32Array
  /** per id: byte length */
  readonly len: Int32Array
  private readonly slots: Int32Array // id + 1, 0 = empty
  private readonly mask: number
  readonly size: number

  constructor(entries: ReadonlyArray<readonly [Uint8Array, number]>) {
    let total = 0
    let maxId = -1
    for (const [b, id] of entries) { total += b.length; if (id > maxId) maxId = id }
    this.pool = new Uint8Array(total)
    this.start = new Int32Array(maxId + 1).fill(-1)
    this.len = new Int32Array(maxId + 1)
    let cap = 1
    while (cap < entries.length * 2) cap <<= 1
    this.slots = new Int32Array(cap)
    this.mask = cap - 1
    let off = 0
    for (const [b, id] of entries) {
      if (this.start[id] !== -1) throw new Error(`id ${id} appears twice`)
      this.pool.set(b, off)
      this.start[id] = off
      this.len[id] = b.length
      off += b.length
      if (this.lookup(b, 0, b.length) !== -1) throw new Error(`byte string of id ${id} appears twice`)
      let s = hashBytes(b, 0, b.length) & this.mask
      while (this.slots[s] !== 0) s = (s + 1) & this.mask
      this.slots[s] = id + 1
    }
    this.size = entries.length
  }

  /** id of the byte string buf[start..end), or -1 */
  lookup(buf: Uint8Array, start: number, end: number): number {
    const n = end - start
    const pool = this.pool
    let s = hashBytes(buf, start, end) & this.mask
    for (;;) {
      const v = this.slots[s]!
      if (v === 0) return -1
      const id = v - 1
      if (this.len[id] === n) {
        let p = this.start[id]!
        let i = start
        while (i < end && pool[p] === buf[i]) { p++; i++ }
        if (i === end) return id
      }
      s = (s + 1) & this.mask
    }
  }

  /** the bytes of `id` (a view into the pool: do not modify), or undefined */
  bytesOf(id: number): Uint8Array | undefined {
    const s = this.start[id] ?? -1 // undefined for ids out of range or not integers
    return s < 0 ? undefined : this.pool.subarray(s, s + this.len[id]!)
  }

  /** append the bytes of `id` to out at `at`; returns the new end, or -1 if the id is unknown */
  copyInto(id: number, out: Uint8Array, at: number): number {
    const s = this.start[id] ?? -1
    if (s < 0) return -1
    const n = this.len[id]!
    const pool = this.pool
    for (let i = 0; i < n; i++) out[at + i] = pool[s + i]!
    return at + n
  }

  get maxId(): number { return this.start.length - 1 }
}

/** tiktoken ranking: a pair's rank is the id of the bytes it spans in the current chunk. */
export class ByteRanker implements MergeRanker {
  bytes: Uint8Array = new Uint8Array(0)
  /** id of each single byte, -1 where a byte is not a token */
  readonly byteId = new Int32Array(256)
  constructor(readonly table: ByteTokenTable) {
    for (let b = 0; b < 256; b++) this.byteId[b] = table.lookup(Uint8Array.of(b), 0, 1)
  }
  pairRank(_l: number, _r: number, start: number, end: number): number {
    const id = this.table.lookup(this.bytes, start, end)
    return id < 0 ? NO_RANK : id
  }
  mergedId(rank: number): number { return rank }
}

/** (left id, right id) → (rank, merged id): Hugging Face `merges`, ranked by line index. */
export class PairMergeTable {
  private keysL = new Int32Array(1024).fill(-1)
  private keysR = new Int32Array(1024)
  private ranks = new Int32Array(1024)
  private mask = 1023
  private count = 0
  private merged: number[] = [] // rank → merged id

  set(left: number, right: number, rank: number, mergedId: number): void {
    if ((this.count + 1) * 2 > this.keysL.length) this.grow()
    let s = this.slot(left, right)
    while (this.keysL[s] !== -1 && !(this.keysL[s] === left && this.keysR[s] === right)) s = (s + 1) & this.mask
    if (this.keysL[s] === -1) this.count++
    else if (this.ranks[s]! <= rank) return // a pair listed twice keeps its first (best) rank
    this.keysL[s] = left; this.keysR[s] = right; this.ranks[s] = rank
    this.merged[rank] = mergedId
  }

  /** rank of merging left+right, or NO_RANK */
  rank(left: number, right: number): number {
    let s = this.slot(left, right)
    for (;;) {
      const l = this.keysL[s]!
      if (l === -1) return NO_RANK
      if (l === left && this.keysR[s] === right) return this.ranks[s]!
      s = (s + 1) & this.mask
    }
  }

  mergedId(rank: number): number { return this.merged[rank]! }
  get size(): number { return this.count }

  private slot(l: number, r: number): number {
    return (Math.imul(l, 0x9e3779b1) ^ Math.imul(r + 0x7f4a7c15, 0x85ebca6b)) >>> 0 & this.mask
  }

  private grow(): void {
    const { keysL, keysR, ranks } = this
    const cap = keysL.length * 2
    this.keysL = new Int32Array(cap).fill(-1)
    this.keysR = new Int32Array(cap)
    this.ranks = new Int32Array(cap)
    this.mask = cap - 1
    for (let i = 0; i < keysL.length; i++) {
      if (keysL[i] === -1) continue
      let s = this.slot(keysL[i]!, keysR[i]!)
      while (this.keysL[s] !== -1) s = (s + 1) & this.mask
      this.keysL[s] = keysL[i]!; this.keysR[s] = keysR[i]!; this.ranks[s] = ranks[i]!
    }
  }
}

export class PairRanker implements MergeRanker {
  constructor(readonly table: PairMergeTable) {}
  pairRank(l: number, r: number): number { return this.table.rank(l, r) }
  mergedId(rank: number): number { return this.table.mergedId(rank) }
}

const LINEAR_MAX = 96 // above this many symbols the heap wins (measured on whitespace/base64 runs)

/** Reusable merge state (scratch arrays grow as needed); one per tokenizer, not thread-shared. */
export class BpeMerger {
  private next = new Int32Array(256)
  private prev = new Int32Array(256)
  private rank = new Int32Array(256)
  private heap = new Float64Array(256)
  /** the chunk's symbol ids; fill [0, n) before `merge` (overwritten by it) */
  symbols = new Int32Array(256)
  /** offsets[k] is where symbol k starts, offsets[n] the chunk's end (only ByteRanker reads them) */
  offsets = new Int32Array(257)

  /** make room for n symbols; call before filling `offsets`/ids of a chunk of n symbols */
  reserve(n: number): void {
    if (n + 1 <= this.offsets.length) return
    let cap = this.offsets.length
    while (cap < n + 1) cap *= 2
    this.next = new Int32Array(cap)
    this.prev = new Int32Array(cap)
    this.rank = new Int32Array(cap)
    this.heap = new Float64Array(cap * 2)
    const symbols = new Int32Array(cap)
    symbols.set(this.symbols)
    this.symbols = symbols
    const offsets = new Int32Array(cap + 1)
    offsets.set(this.offsets)
    this.offsets = offsets
  }

  /**
   * Merge `symbols[0..n)` (symbol k spanning offsets[k]..offsets[k+1]) under `ranker` and push
   * the resulting ids to `out`. Call `reserve(n)` before filling `symbols` (and, for ByteRanker,
   * `offsets[0..n]`).
   */
  merge(ranker: MergeRanker, n: number, out: number[]): void {
    const ids = this.symbols
    if (n === 1) { out.push(ids[0]!); return }
    const { next, prev, rank } = this
    const off = this.offsets
    for (let k = 0; k < n; k++) { next[k] = k + 1; prev[k] = k - 1 }
    for (let k = 0; k < n - 1; k++) rank[k] = ranker.pairRank(ids[k]!, ids[k + 1]!, off[k]!, off[k + 2]!)
    rank[n - 1] = NO_RANK
    if (n <= LINEAR_MAX) this.linear(ranker, n)
    else this.withHeap(ranker, n)
    for (let k = 0; k < n; k = next[k]!) out.push(ids[k]!)
  }

  /** merge symbol k with its successor and re-rank the pairs that changed */
  private join(ranker: MergeRanker, n: number, k: number): number {
    const { next, prev, rank } = this
    const ids = this.symbols
    const off = this.offsets
    ids[k] = ranker.mergedId(rank[k]!)
    const j = next[k]!
    const after = next[j]!
    next[k] = after
    if (after < n) prev[after] = k
    rank[k] = after < n ? ranker.pairRank(ids[k]!, ids[after]!, off[k]!, off[next[after]!]!) : NO_RANK
    const p = prev[k]!
    if (p >= 0) rank[p] = ranker.pairRank(ids[p]!, ids[k]!, off[p]!, off[after]!)
    return p
  }

  private linear(ranker: MergeRanker, n: number): void {
    const { next, rank } = this
    for (;;) {
      let best = NO_RANK
      let at = -1
      for (let k = 0; k < n; k = next[k]!) {
        if (rank[k]! < best) { best = rank[k]!; at = k }
      }
      if (at < 0) return
      this.join(ranker, n, at)
    }
  }

  // heap keys: rank * 2^32 + position, exact in a double for ranks < 2^21
  private withHeap(ranker: MergeRanker, n: number): void {
    const { rank } = this
    let size = 0
    const push = (r: number, k: number): void => {
      if (size >= this.heap.length) { const h = new Float64Array(this.heap.length * 2); h.set(this.heap); this.heap = h }
      const heap = this.heap
      const key = r * 4294967296 + k
      let i = size++
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (heap[parent]! <= key) break
        heap[i] = heap[parent]!
        i = parent
      }
      heap[i] = key
    }
    const pop = (): number => {
      const heap = this.heap
      const top = heap[0]!
      const last = heap[--size]!
      let i = 0
      for (;;) {
        let c = 2 * i + 1
        if (c >= size) break
        if (c + 1 < size && heap[c + 1]! < heap[c]!) c++
        if (heap[c]! >= last) break
        heap[i] = heap[c]!
        i = c
      }
      heap[i] = last
      return top
    }
    const alive = new Uint8Array(n).fill(1)
    for (let k = 0; k < n - 1; k++) if (rank[k]! !== NO_RANK) push(rank[k]!, k)
    while (size > 0) {
      const key = pop()
      const k = key % 4294967296
      const r = (key - k) / 4294967296
      if (!alive[k] || rank[k] !== r) continue // stale entry
      alive[this.next[k]!] = 0
      const p = this.join(ranker, n, k)
      if (rank[k]! !== NO_RANK) push(rank[k]!, k)
      if (p >= 0 && rank[p]! !== NO_RANK) push(rank[p]!, p)
    }
  }
}

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

/**
 * tiktoken's byte-pair encoding of one chunk's bytes buf[0..n): the whole chunk when it is a
 * token, else merges from single bytes. Every single byte must be a token (true of tiktoken's
 * encodings); an unknown byte throws. Pushes ids to `out`.
 */
export function encodeBytes(ranker: ByteRanker, merger: BpeMerger, buf: Uint8Array, n: number, out: number[]): void {
  const whole = ranker.table.lookup(buf, 0, n)
  if (whole >= 0) { out.push(whole); return }
  merger.reserve(n)
  const { symbols, offsets } = merger
  const byteId = ranker.byteId
  for (let k = 0; k < n; k++) {
    const id = byteId[buf[k]!]!
    if (id < 0) throw new Error(`byte 0x${buf[k]!.toString(16)} has no rank`)
    symbols[k] = id
    offsets[k] = k
  }
  offsets[n] = n
  ranker.bytes = buf
  merger.merge(ranker, n, out)
}
