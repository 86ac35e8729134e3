/**
 * SentencePiece's BPE segmentation (bpe_model.cc `Model::SampleEncode` with alpha = 0): split
 * the normalized text into characters (user-defined symbols stay whole and never merge), then
 * repeatedly merge the adjacent pair whose concatenation is a piece with the HIGHEST score,
 * ties going to the leftmost pair. Merges into UNUSED pieces happen and are then undone
 * (resegmented) so unused ids never appear in the output, as SentencePiece does.
 *
 * Returns [piece text, id] pairs; id is -1 for text that is no piece (the caller maps it to
 * <unk> or to byte-fallback pieces).
 */
export interface BpeVocab {
  /** NORMAL, USER_DEFINED and UNUSED pieces (SentencePiece's `pieces_`) */
  pieces: ReadonlyMap<string, number>
  scores: Float32Array
  isUnused(id: number): boolean
  /** length of the user-defined symbol starting at `pos` of `text`, 0 if none */
  matchUserSymbol(text: string, pos: number): number
}

interface Pair {
  left: number
  right: number
  score: number
  size: number
  /** the merged piece's id */
  id: number
}

export function bpeSegment(normalized: string, vocab: BpeVocab): Array<[string, number]> {
  if (normalized.length === 0) return []
  // symbols: contiguous spans of `normalized` in a doubly linked list, with their piece id
  const starts: number[] = []
  const ids: number[] = []
  const frozenList: boolean[] = []
  for (let pos = 0; pos < normalized.length;) {
    const user = vocab.matchUserSymbol(normalized, pos)
    const len = user > 0 ? user : normalized.codePointAt(pos)! > 0xffff ? 2 : 1
    starts.push(pos)
    ids.push(vocab.pieces.get(normalized.slice(pos, pos + len)) ?? -1)
    frozenList.push(user > 0)
    pos += len
  }
  const n = starts.length
  const start = Int32Array.from(starts)
  const size = new Int32Array(n)
  for (let i = 0; i < n; i++) size[i] = (i + 1 < n ? start[i + 1]! : normalized.length) - start[i]!
  const id = Int32Array.from(ids)
  const prev = new Int32Array(n)
  const next = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1
    next[i] = i + 1 < n ? i + 1 : -1
  }
  const text = (i: number): string => normalized.slice(start[i]!, start[i]! + size[i]!)

  const heap = new PairHeap()
  const revMerge = new Map<string, [string, string]>()
  const addPair = (left: number, right: number): void => {
    if (left === -1 || right === -1 || frozenList[left] || frozenList[right]) return
    // pieces are looked up by text; spans are adjacent, so the pair's text is one slice
    const merged = pairPiece(vocab, id[left]!, id[right]!, () => normalized.slice(start[left]!, start[left]! + size[left]! + size[right]!))
    if (merged < 0) return
    heap.push({ left, right, score: vocab.scores[merged]!, size: size[left]! + size[right]!, id: merged })
    if (vocab.isUnused(merged)) revMerge.set(text(left) + text(right), [text(left), text(right)])
  }
  for (let i = 1; i < n; i++) addPair(i - 1, i)

  for (let top = heap.pop(); top; top = heap.pop()) {
    const l = size[top.left]!
    const r = size[top.right]!
    // stale entry: one side was merged away or grew since this pair was queued
    if (l === 0 || r === 0 || l + r !== top.size) continue
    size[top.left] = l + r
    size[top.right] = 0
    id[top.left] = top.id
    next[top.left] = next[top.right]!
    if (next[top.right]! >= 0) prev[next[top.right]!] = top.left
    addPair(prev[top.left]!, top.left)
    addPair(top.left, next[top.left]!)
  }

  const out: Array<[string, number]> = []
  const resegment = (w: string, wid: number): void => {
    if (wid >= 0 && vocab.isUnused(wid)) {
      const parts = revMerge.get(w)
      if (parts) {
        resegment(parts[0], vocab.pieces.get(parts[0]) ?? -1)
        resegment(parts[1], vocab.pieces.get(parts[1]) ?? -1)
        return
      }
    }
    out.push([w, wid])
  }
  for (let i = 0; i !== -1; i = next[i]!) resegment(text(i), id[i]!)
  return out
}

/** merged-piece id of two symbols (-1: not a piece), cached per id pair */
function pairPiece(vocab: BpeVocab, a: number, b: number, textOf: () => string): number {
  if (a < 0 || b < 0) return vocab.pieces.get(textOf()) ?? -1
  const cache = pairCache(vocab)
  const key = a * cache.stride + b
  let m = cache.map.get(key)
  if (m === undefined) {
    m = vocab.pieces.get(textOf()) ?? -1
    if (cache.map.size >= 1 << 20) cache.map.clear()
    cache.map.set(key, m)
  }
  return m
}

const pairCaches = new WeakMap<BpeVocab, { stride: number; map: Map<number, number> }>()
function pairCache(vocab: BpeVocab): { stride: number; map: Map<number, number> } {
  let c = pairCaches.get(vocab)
  if (!c) {
    c = { stride: vocab.scores.length, map: new Map() }
    pairCaches.set(vocab, c)
  }
  return c
}

/** max-heap on score, then min on left index (bpe_model.cc SymbolPairComparator) */
class PairHeap {
  private readonly a: Pair[] = []

  private before(x: Pair, y: Pair): boolean {
    return x.score > y.score || (x.score === y.score && x.left < y.left)
  }

  push(p: Pair): void {
    const a = this.a
    a.push(p)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(a[i]!, a[parent]!)) break
      ;[a[i], a[parent]] = [a[parent]!, a[i]!]
      i = parent
    }
  }

  pop(): Pair | undefined {
    const a = this.a
    if (a.length === 0) return undefined
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}
