/**
 * SentencePiece's Unigram segmentation (unigram_model.cc `Model::EncodeOptimized`): Viterbi over
 * every vocabulary piece that matches at each character, maximising the sum of piece scores
 * (float32 log-probabilities; each candidate is a double sum compared with, then stored as, a
 * float32 path score, exactly as the C++ types make it). A character no piece
 * covers becomes an unknown node scored `min_score - 10`; user-defined symbols score
 * `byte_length * max_score - 0.1` so they always win. UNUSED pieces are skipped. Ties keep the
 * first candidate found (shorter pieces first, the unknown node last).
 *
 * Returns [piece text, id] pairs; id is -1 for an unknown character.
 */
export interface UnigramVocab {
  /** NORMAL, USER_DEFINED and UNUSED pieces */
  pieces: ReadonlyMap<string, number>
  scores: Float32Array
  isUnused(id: number): boolean
  isUserDefined(id: number): boolean
  /** min and max score over NORMAL pieces (max starts at FLT_MIN, as in the C++) */
  minScore: number
  maxScore: number
}

interface TrieNode {
  id: number
  children: Map<number, TrieNode>
}

export class UnigramSegmenter {
  private readonly root: TrieNode = { id: -1, children: new Map() }
  private readonly byteLength: Int32Array

  constructor(private readonly vocab: UnigramVocab) {
    this.byteLength = new Int32Array(vocab.scores.length)
    for (const [piece, id] of vocab.pieces) {
      this.byteLength[id] = Buffer.byteLength(piece, 'utf8')
      let node = this.root
      for (let i = 0; i < piece.length; i++) {
        const c = piece.charCodeAt(i)
        let child = node.children.get(c)
        if (!child) {
          child = { id: -1, children: new Map() }
          node.children.set(c, child)
        }
        node = child
      }
      node.id = id
    }
  }

  segment(normalized: string): Array<[string, number]> {
    const size = normalized.length
    if (size === 0) return []
    const v = this.vocab
    const unkScore = Math.fround(v.minScore - 10)
    const bestScore = new Float64Array(size + 1)
    const startsAt = new Int32Array(size + 1).fill(-1)
    const nodeId = new Int32Array(size + 1).fill(-1)
    const relax = (end: number, start: number, candidate: number, id: number): void => {
      if (startsAt[end] === -1 || candidate > bestScore[end]!) {
        // best_path_score is a float in the C++ node
        bestScore[end] = Math.fround(candidate)
        startsAt[end] = start
        nodeId[end] = id
      }
    }
    for (let start = 0; start < size;) {
      const here = bestScore[start]!
      const mblen = normalized.codePointAt(start)! > 0xffff ? 2 : 1
      let hasSingle = false
      let node: TrieNode | undefined = this.root
      for (let pos = start; pos < size; pos++) {
        node = node.children.get(normalized.charCodeAt(pos))
        if (!node) break
        const id = node.id
        if (id < 0 || v.isUnused(id)) continue
        const length = pos + 1 - start
        // `const auto score = user ? length * max_score_ - 0.1 : GetScore(id)` is a double (the
        // ternary promotes), so the candidate is a double sum compared with the stored float
        const candidate = v.isUserDefined(id)
          ? Math.fround(this.byteLength[id]! * v.maxScore) - 0.1 + here
          : v.scores[id]! + here
        relax(pos + 1, start, candidate, id)
        if (length === mblen) hasSingle = true
      }
      if (!hasSingle) relax(start + mblen, start, Math.fround(unkScore + here), -1)
      start += mblen
    }
    const out: Array<[string, number]> = []
    for (let end = size; end > 0; end = startsAt[end]!) out.push([normalized.slice(startsAt[end]!, end), nodeId[end]!])
    return out.reverse()
  }
}
