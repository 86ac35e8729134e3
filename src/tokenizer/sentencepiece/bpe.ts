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
}

export function bpeSegment(normalized: string, vocab: BpeVocab): Array<[string, number]> {
  if (normalized.length === 0) return []
  // symbols as a doubly linked list over the characters
  const piece: string[] = []
  const frozen: boolean[] = []
  for (let pos = 0; pos < normalized.length;) {
    const user = vocab.matchUserSymbol(normalized, pos)
    const cp = normalized.codePointAt(pos)!
    const len = user > 0 ? user : cp > 0xffff ? 2 : 1
    piece.push(normalized.slice(pos, pos + len))
    frozen.push(user > 0)
    pos += len
  }
  const n = piece.length
  const prev = new Int32Array(n)
  const next = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1
    next[i] = i + 1 < n ? i + 1 : -1
  }

  const heap = new PairHeap()
  const revMerge = new Map<string, [string, string]>()
  const addPair = (left: number, right: number): void => {
    if (left === -1 || right === -1 || frozen[left] || frozen[right]) return
    const merged = piece[left]! + piece[right]!
    const id = vocab.pieces.get(merged)
    if (id === undefined) return
    heap.push({ left, right, score: vocab.scores[id]!, size: merged.length })
    if (vocab.isUnused(id)) revMerge.set(merged, [piece[left]!, piece[right]!])
  }
  for (let i = 1; i < n; i++) addPair(i - 1, i)

  for (let top = heap.pop(); top; top = heap.pop()) {
    const l = piece[top.left]!
    const r = piece[top.right]!
    // stale entry: one side was merged away or grew since this pair was queued
    if (l.length === 0 || r.length === 0 || l.length + r.length !== top.size) continue
    piece[top.left] = l + r
    piece[top.right] = ''
    next[top.left] = next[top.right]!
    if (next[top.right]! >= 0) prev[next[top.right]!] = top.left
    addPair(prev[top.left]!, top.left)
    addPair(top.left, next[top.left]!)
  }

  const out: Array<[string, number]> = []
  const resegment = (w: string): void => {
    const id = vocab.pieces.get(w)
    if (id !== undefined && vocab.isUnused(id)) {
      const parts = revMerge.get(w)
      if (parts) {
        resegment(parts[0])
        resegment(parts[1])
        return
      }
    }
    out.push([w, id ?? -1])
  }
  for (let i = 0; i !== -1; i = next[i]!) resegment(piece[i]!)
  return out
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
