/**
 * The one byte-pair-merge core. Every BPE in this project merges through it: tiktoken encodings,
 * Hugging Face BPE models, the tokenizer our trainer writes, SentencePiece BPE and llama2.c.
 *
 * A chunk (one pre-tokenized word) starts as a row of symbols; the adjacent pair with the lowest
 * rank is merged, leftmost first among equals, until no adjacent pair has a rank. Everything a
 * family does differently lives in its `MergeRanker`:
 *   - tiktoken (`ByteRanker`, tiktoken/byte-table.ts): a pair's rank is the id of the bytes the
 *     merged span spells, and that id is the new symbol (rank == token id);
 *   - Hugging Face BPE and our trainer (`PairRanker` below): the index of the line `left right`
 *     in `merges`; the new symbol is `vocab[left + right]`;
 *   - SentencePiece BPE and llama2.c (sentencepiece/bpe.ts, llama2c/index.ts): the merged piece's
 *     score, highest first (`scoreRanks` turns scores into ranks; equal scores share a rank, so
 *     ties still go to the leftmost pair).
 *
 * A heap entry is stale when the pair now at its position has another rank (`rank[k]` is kept
 * current). That one test serves all families: a position's span only grows, so "same rank at
 * the same position" is "the same pair" wherever a rank names one pair, and where it does not
 * (scores) the entry's key still equals the live pair's key, so taking it is the same decision.
 *
 * Speed: no strings or objects per merge. Symbols live in a doubly linked list over typed arrays
 * indexed by the symbol's original position. Chunks of up to LINEAR_MAX symbols find the minimum
 * by a linear scan (O(n²), fastest for words); longer chunks use a binary heap of packed
 * (rank, position) keys with lazy invalidation (O(n log n)), which picks exactly the same pair.
 * `mergeNaive` is the obviously-right reference the tests hold the fast loop to.
 */

/** "no merge for this pair" (a rank larger than every real one) */
export const NO_RANK = 0x7fffffff
/** ranks must stay below this: heap keys pack rank * 2^32 + position into a double */
export const MAX_RANK = 1 << 21

export interface MergeRanker {
  /**
   * Rank of merging the adjacent symbols `leftId` `rightId` (lower merges first), or NO_RANK.
   * `start`/`end` are the offsets (from the merger's `offsets`) the merged symbol would span.
   */
  pairRank(leftId: number, rightId: number, start: number, end: number): number
  /** the symbol a merge of this pair (whose rank `pairRank` gave as `rank`) produces */
  mergedId(leftId: number, rightId: number, rank: number, start: number, end: number): number
}

/**
 * (left id, right id) → (rank, id), open addressing over typed arrays. As tokenizers collects
 * merges into a HashMap, setting a pair again replaces its entry (a pair listed twice keeps its
 * last line). Also the per-pair memo of the score rankers.
 */
export class PairMergeTable {
  private keysL = new Int32Array(1024).fill(-1)
  private keysR = new Int32Array(1024)
  private ranks = new Int32Array(1024)
  private ids = new Int32Array(1024)
  private mask = 1023
  private count = 0

  set(left: number, right: number, rank: number, id: number): void {
    if ((this.count + 1) * 2 > this.keysL.length) this.grow()
    let s = this.slot(left, right)
    while (this.keysL[s] !== -1 && !(this.keysL[s] === left && this.keysR[s] === right)) s = (s + 1) & this.mask
    if (this.keysL[s] === -1) this.count++
    this.keysL[s] = left; this.keysR[s] = right; this.ranks[s] = rank; this.ids[s] = id
  }

  /** slot of the pair, or -1 (read it with rankAt / idAt) */
  find(left: number, right: number): number {
    let s = this.slot(left, right)
    for (;;) {
      const l = this.keysL[s]!
      if (l === -1) return -1
      if (l === left && this.keysR[s] === right) return s
      s = (s + 1) & this.mask
    }
  }

  rankAt(slot: number): number { return this.ranks[slot]! }
  idAt(slot: number): number { return this.ids[slot]! }

  /** rank of merging left+right, or NO_RANK */
  rank(left: number, right: number): number {
    const s = this.find(left, right)
    return s < 0 ? NO_RANK : this.ranks[s]!
  }

  get size(): number { return this.count }

  clear(): void {
    this.keysL.fill(-1)
    this.count = 0
  }

  private slot(l: number, r: number): number {
    return (Math.imul(l, 0x9e3779b1) ^ Math.imul(r + 0x7f4a7c15, 0x85ebca6b)) >>> 0 & this.mask
  }

  private grow(): void {
    const { keysL, keysR, ranks, ids } = this
    const cap = keysL.length * 2
    this.keysL = new Int32Array(cap).fill(-1)
    this.keysR = new Int32Array(cap)
    this.ranks = new Int32Array(cap)
    this.ids = new Int32Array(cap)
    this.mask = cap - 1
    for (let i = 0; i < keysL.length; i++) {
      if (keysL[i] === -1) continue
      let s = this.slot(keysL[i]!, keysR[i]!)
      while (this.keysL[s] !== -1) s = (s + 1) & this.mask
      this.keysL[s] = keysL[i]!; this.keysR[s] = keysR[i]!; this.ranks[s] = ranks[i]!; this.ids[s] = ids[i]!
    }
  }
}

/** Hugging Face `merges` ranking: rank = line index, merged id fixed per line. */
export class PairRanker implements MergeRanker {
  readonly table = new PairMergeTable()
  private readonly byRank: Int32Array

  /** `merges[rank] = [left id, right id, merged id]`, in rank (line) order */
  constructor(merges: ReadonlyArray<readonly [number, number, number]>) {
    if (merges.length >= MAX_RANK) throw new Error(`too many merges (${merges.length})`)
    this.byRank = new Int32Array(merges.length)
    merges.forEach(([l, r, id], rank) => {
      this.byRank[rank] = id
      this.table.set(l, r, rank, id)
    })
  }

  pairRank(l: number, r: number): number { return this.table.rank(l, r) }
  mergedId(_l: number, _r: number, rank: number): number { return this.byRank[rank]! }
}

/**
 * Scores → ranks for score-ordered BPE (SentencePiece, llama2.c): the highest score gets rank 0,
 * equal scores the same rank (so the merge loop breaks their tie by position, as they do).
 */
export function scoreRanks(scores: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i)
  const key = (i: number): number => (Number.isNaN(scores[i]) ? -Infinity : scores[i]!)
  order.sort((a, b) => key(b) - key(a) || 0)
  const ranks = new Int32Array(scores.length)
  let rank = -1
  let last = NaN
  for (const i of order) {
    if (key(i) !== last) { rank++; last = key(i) }
    ranks[i] = rank
  }
  if (rank >= MAX_RANK) throw new Error(`too many distinct scores (${rank + 1})`)
  return ranks
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
  /** offsets[k] is where symbol k starts, offsets[n] the chunk's end (rankers that read spans need them) */
  offsets = new Int32Array(257)

  /** make room for n symbols; call before filling `symbols`/`offsets` of a chunk of n symbols */
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

  /** merge a row of symbol ids (for rankers that do not read offsets), pushing the result to `out` */
  mergeIds(ranker: MergeRanker, ids: ArrayLike<number>, out: number[]): void {
    const n = ids.length
    if (n === 0) return
    this.reserve(n)
    const symbols = this.symbols
    for (let i = 0; i < n; i++) symbols[i] = ids[i]!
    this.merge(ranker, n, out)
  }

  /**
   * Merge `symbols[0..n)` (symbol k spanning offsets[k]..offsets[k+1]) under `ranker` and push
   * the resulting ids to `out` (and, given `starts`, each result's start offset).
   */
  merge(ranker: MergeRanker, n: number, out: number[], starts?: number[]): void {
    const ids = this.symbols
    const off = this.offsets
    if (n === 1) { out.push(ids[0]!); starts?.push(off[0]!); return }
    const { next, prev, rank } = this
    for (let k = 0; k < n; k++) { next[k] = k + 1; prev[k] = k - 1 }
    for (let k = 0; k < n - 1; k++) rank[k] = ranker.pairRank(ids[k]!, ids[k + 1]!, off[k]!, off[k + 2]!)
    rank[n - 1] = NO_RANK
    if (n <= LINEAR_MAX) this.linear(ranker, n)
    else this.withHeap(ranker, n)
    for (let k = 0; k < n; k = next[k]!) out.push(ids[k]!)
    if (starts) for (let k = 0; k < n; k = next[k]!) starts.push(off[k]!)
  }

  /**
   * Merge symbol k with its successor, then re-rank the pair before it and the pair after it,
   * in that order (SentencePiece's order, which its UNUSED-piece bookkeeping can observe).
   */
  private join(ranker: MergeRanker, n: number, k: number): number {
    const { next, prev, rank } = this
    const ids = this.symbols
    const off = this.offsets
    const j = next[k]!
    const after = next[j]!
    ids[k] = ranker.mergedId(ids[k]!, ids[j]!, rank[k]!, off[k]!, off[after]!)
    next[k] = after
    if (after < n) prev[after] = k
    const p = prev[k]!
    if (p >= 0) rank[p] = ranker.pairRank(ids[p]!, ids[k]!, off[p]!, off[after]!)
    rank[k] = after < n ? ranker.pairRank(ids[k]!, ids[after]!, off[k]!, off[next[after]!]!) : NO_RANK
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

  // heap keys: rank * 2^32 + position, exact in a double for ranks < MAX_RANK
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
      if (p >= 0 && rank[p]! !== NO_RANK) push(rank[p]!, p)
      if (rank[k]! !== NO_RANK) push(rank[k]!, k)
    }
  }
}

/**
 * The reference: rebuild the symbol row after every merge, rank every adjacent pair, merge the
 * lowest, leftmost first. O(n²) per merge and obviously right; the tests hold BpeMerger to it.
 * `offsets` has n + 1 entries (symbol k spans offsets[k]..offsets[k+1]).
 */
export function mergeNaive(ranker: MergeRanker, symbols: readonly number[], offsets: readonly number[]): { ids: number[]; starts: number[] } {
  const ids = [...symbols]
  const starts = offsets.slice(0, symbols.length)
  const end = offsets[symbols.length]!
  const endOf = (i: number): number => (i + 1 < ids.length ? starts[i + 1]! : end)
  for (;;) {
    let best = NO_RANK
    let at = -1
    for (let i = 0; i + 1 < ids.length; i++) {
      const r = ranker.pairRank(ids[i]!, ids[i + 1]!, starts[i]!, endOf(i + 1))
      if (r < best) { best = r; at = i }
    }
    if (at < 0) return { ids, starts }
    const merged = ranker.mergedId(ids[at]!, ids[at + 1]!, best, starts[at]!, endOf(at + 1))
    ids.splice(at, 2, merged)
    starts.splice(at + 1, 1)
  }
}
