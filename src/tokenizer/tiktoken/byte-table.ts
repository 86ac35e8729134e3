/**
 * tiktoken's side of the merge core (src/tokenizer/bpe.ts): token byte strings in one pooled
 * table (`ByteTokenTable`: byte string → id, open addressing, no key strings), and the ranker
 * whose pair rank is the id of the bytes the merged span spells (tiktoken's `_byte_pair_merge`:
 * rank == token id, so the merged symbol's id is its rank).
 */
import { type BpeMerger, type MergeRanker, NO_RANK } from '../bpe.js'

const hashBytes = (buf: Uint8Array, start: number, end: number): number => {
  let h = 0x811c9dc5 // FNV-1a
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
  return h >>> 0
}

/** the arrays a ByteTokenTable is made of (what tiktoken/cache.ts stores) */
export interface ByteTablePartsIn { pool: Uint8Array; start: Int32Array; len: Int32Array; slots: Int32Array; size: number }

/** Byte string → id, for ids in [0, maxId]. Built once; lookups allocate nothing. */
export class ByteTokenTable {
  /** all token bytes, back to back (read-only for callers: hot loops copy from it directly) */
  readonly pool: Uint8Array
  /** per id: offset of its bytes in `pool`, -1 if the id has no bytes */
  readonly start: Int32Array
  /** per id: byte length */
  readonly len: Int32Array
  /** open-addressing hash of the byte strings: id + 1, 0 = empty (length a power of two) */
  readonly slots: Int32Array
  private readonly mask: number
  readonly size: number

  /** from the arrays another table's `parts` gave (e.g. read back from a cache file); not checked */
  constructor(parts: ByteTablePartsIn)
  constructor(entries: ReadonlyArray<readonly [Uint8Array, number]>)
  constructor(arg: ReadonlyArray<readonly [Uint8Array, number]> | ByteTablePartsIn) {
    if (!Array.isArray(arg)) {
      const p = arg as ByteTablePartsIn
      this.pool = p.pool; this.start = p.start; this.len = p.len; this.slots = p.slots; this.size = p.size
      this.mask = p.slots.length - 1
      return
    }
    const entries = arg as ReadonlyArray<readonly [Uint8Array, number]>
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
  mergedId(_l: number, _r: number, rank: number): number { return rank }
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
