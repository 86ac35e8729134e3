import { BpeMerger, type MergeRanker, NO_RANK, PairMergeTable, scoreRanks } from '../bpe.js'

/**
 * SentencePiece's BPE segmentation (bpe_model.cc `Model::SampleEncode` with alpha = 0): split
 * the normalized text into characters (user-defined symbols stay whole and never merge), then
 * repeatedly merge the adjacent pair whose concatenation is a piece with the HIGHEST score,
 * ties going to the leftmost pair (the merge core, src/tokenizer/bpe.ts, with `ScoreRanker`).
 * Merges into UNUSED pieces happen and are then undone (resegmented) so unused ids never appear
 * in the output, as SentencePiece does.
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
  /** a piece's text by id */
  pieceText(id: number): string
}

/** a user-defined symbol is frozen: its id is stored as FROZEN - id, which no pair ranks */
const FROZEN = -2
const MEMO_MAX = 1 << 20

/**
 * SentencePiece's pair ranking: the merged text must be a piece; its rank is its score's rank.
 * Known id pairs are memoised; a symbol that is no piece (id -1) is looked up by text. A pair
 * merging into an UNUSED piece is remembered (text → its two halves, the last one queued wins)
 * so `bpeSegment` can undo it afterwards, as bpe_model.cc's `rev_merge` does.
 */
class ScoreRanker implements MergeRanker {
  text = ''
  readonly revMerge = new Map<string, [string, string]>()
  private readonly memo = new PairMergeTable()
  private readonly rankOf: Int32Array

  constructor(private readonly vocab: BpeVocab) {
    this.rankOf = scoreRanks(vocab.scores)
  }

  private piece(l: number, r: number, start: number, end: number): number {
    if (l < 0 || r < 0) return this.vocab.pieces.get(this.text.slice(start, end)) ?? -1
    const s = this.memo.find(l, r)
    if (s >= 0) return this.memo.idAt(s)
    const id = this.vocab.pieces.get(this.text.slice(start, end)) ?? -1
    if (this.memo.size >= MEMO_MAX) this.memo.clear()
    this.memo.set(l, r, 0, id)
    return id
  }

  pairRank(l: number, r: number, start: number, end: number): number {
    if (l <= FROZEN || r <= FROZEN) return NO_RANK
    const id = this.piece(l, r, start, end)
    if (id < 0) return NO_RANK
    if (this.vocab.isUnused(id)) {
      // an unknown symbol (-1) is always one initial code point; a known one spells its piece
      const mid = start + (l >= 0 ? this.vocab.pieceText(l).length : this.text.codePointAt(start)! > 0xffff ? 2 : 1)
      this.revMerge.set(this.text.slice(start, end), [this.text.slice(start, mid), this.text.slice(mid, end)])
    }
    return this.rankOf[id]!
  }

  mergedId(l: number, r: number, _rank: number, start: number, end: number): number {
    return this.piece(l, r, start, end)
  }
}

const rankers = new WeakMap<BpeVocab, { ranker: ScoreRanker; merger: BpeMerger }>()

export function bpeSegment(normalized: string, vocab: BpeVocab): Array<[string, number]> {
  if (normalized.length === 0) return []
  let state = rankers.get(vocab)
  if (!state) rankers.set(vocab, (state = { ranker: new ScoreRanker(vocab), merger: new BpeMerger() }))
  const { ranker, merger } = state
  // initial symbols: one per code point, user-defined symbols whole (and frozen)
  merger.reserve(normalized.length)
  let n = 0
  for (let pos = 0; pos < normalized.length;) {
    const user = vocab.matchUserSymbol(normalized, pos)
    const len = user > 0 ? user : normalized.codePointAt(pos)! > 0xffff ? 2 : 1
    const id = vocab.pieces.get(normalized.slice(pos, pos + len)) ?? -1
    merger.symbols[n] = user > 0 ? FROZEN - id : id
    merger.offsets[n++] = pos
    pos += len
  }
  merger.offsets[n] = normalized.length
  ranker.text = normalized
  ranker.revMerge.clear()
  const ids: number[] = []
  const starts: number[] = []
  merger.merge(ranker, n, ids, starts)

  const out: Array<[string, number]> = []
  const resegment = (w: string, wid: number): void => {
    if (wid >= 0 && vocab.isUnused(wid)) {
      const parts = ranker.revMerge.get(w)
      if (parts) {
        resegment(parts[0], vocab.pieces.get(parts[0]) ?? -1)
        resegment(parts[1], vocab.pieces.get(parts[1]) ?? -1)
        return
      }
    }
    out.push([w, wid])
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    const end = i + 1 < ids.length ? starts[i + 1]! : normalized.length
    resegment(normalized.slice(starts[i]!, end), id <= FROZEN ? FROZEN - id : id)
  }
  return out
}
