import { LlmError } from '../../core/errors.js'
import { byteFallbackIds, utf8 } from './chars.js'

/**
 * The Unigram model of tokenizers (models/unigram/model.rs, `encode_optimized`): Viterbi over
 * char positions, each vocab piece that starts there scoring its log-probability; a char no
 * piece covers scores min_score - 10 as unk. Consecutive unk pieces fuse into one. A piece that
 * ends up unknown becomes byte-fallback tokens `<0xNN>` when enabled, else unk.
 */
const UNK_PENALTY = 10

interface TrieNode {
  next: Map<number, TrieNode>
  /** id of the piece ending here, or -1 */
  id: number
}

export class UnigramModel {
  readonly vocab = new Map<string, number>()
  private readonly scores: Float64Array
  private readonly root: TrieNode = { next: new Map(), id: -1 }
  private readonly unkScore: number
  /** `<0xNN>` token ids by byte, when byte_fallback is on */
  private readonly byteIds: Int32Array | undefined

  constructor(pieces: [string, number][], private readonly unkId: number | undefined, private readonly byteFallback: boolean, private readonly source: string) {
    this.scores = new Float64Array(pieces.length)
    let min = Infinity
    pieces.forEach(([piece, score], id) => {
      // a later duplicate wins in the map, as building tokenizers' HashMap does
      this.vocab.set(piece, id)
      this.scores[id] = score
      if (score < min) min = score
    })
    // the trie maps each piece to the id the map gives it
    for (const [piece, id] of this.vocab) {
      let node = this.root
      for (let i = 0; i < piece.length; i++) {
        const c = piece.charCodeAt(i)
        let n = node.next.get(c)
        if (n === undefined) node.next.set(c, (n = { next: new Map(), id: -1 }))
        node = n
      }
      node.id = id
    }
    this.unkScore = (pieces.length > 0 ? min : 0) - UNK_PENALTY
    if (byteFallback) this.byteIds = byteFallbackIds(this.vocab)
  }

  private unk(): number {
    if (this.unkId === undefined) throw new LlmError('Unigram: a char is not in the vocab and the model has no unk_id', { where: this.source })
    return this.unkId
  }

  tokenize(s: string, out: number[]): void {
    const n = s.length
    if (n === 0) return
    // best[i]: score of the best segmentation of s[0, i); from[i]: where its last piece starts
    const best = new Float64Array(n + 1)
    const from = new Int32Array(n + 1).fill(-1)
    const ids = new Int32Array(n + 1)
    from[0] = 0
    for (let start = 0; start < n;) {
      const base = best[start]!
      const clen = s.charCodeAt(start) >= 0xd800 && s.charCodeAt(start) <= 0xdbff && start + 1 < n ? 2 : 1
      let single = false
      let node: TrieNode | undefined = this.root
      for (let k = start; k < n; k++) {
        node = node.next.get(s.charCodeAt(k))
        if (node === undefined) break
        if (node.id < 0) continue
        const end = k + 1
        const cand = this.scores[node.id]! + base
        if (from[end] < 0 || cand > best[end]!) { best[end] = cand; from[end] = start; ids[end] = node.id }
        if (end - start === clen) single = true
      }
      if (!single) {
        const end = start + clen
        const cand = this.unkScore + base
        if (from[end] < 0 || cand > best[end]!) { best[end] = cand; from[end] = start; ids[end] = this.unk() }
      }
      start += clen
    }
    // walk back; runs of unk pieces fuse into one piece (fuse_unk is always on for Unigram)
    const pieces: [number, number][] = []
    let fuseEnd = -1
    for (let end = n; end > 0;) {
      const start = from[end]!
      if (this.unkId !== undefined && ids[end] === this.unkId) {
        if (fuseEnd < 0) fuseEnd = end
      } else {
        if (fuseEnd >= 0) { pieces.push([end, fuseEnd]); fuseEnd = -1 }
        pieces.push([start, end])
      }
      end = start
    }
    if (fuseEnd >= 0) pieces.push([0, fuseEnd])
    for (let i = pieces.length - 1; i >= 0; i--) {
      const [a, b] = pieces[i]!
      const piece = s.slice(a, b)
      const id = this.vocab.get(piece)
      if (id !== undefined) { out.push(id); continue }
      if (this.byteFallback) {
        const bytes = utf8(piece)
        const byteIds = this.byteIds!
        if (bytes.every((b) => byteIds[b]! >= 0)) {
          for (const b of bytes) out.push(byteIds[b]!)
          continue
        }
      }
      out.push(this.unk())
    }
  }
}
