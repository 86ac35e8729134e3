/**
 * Encoded samples → training rows and batches.
 *
 * Packed (default): samples are laid into rows of T tokens in order, a sample going to the next
 * row when it does not fit; positions restart at 0 for each sample and each sample has its own
 * segment id, so attention is block-diagonal and a packed sample computes exactly what it would
 * alone. Unpacked: one sample per row, the batch padded to its longest row (rounded up to 8).
 * Targets are the labels shifted by one (target t = label t + 1), −100 at each sample's end and on
 * padding, which has segment 0.
 *
 * Order: as in the files, or shuffled each epoch by a generator seeded with (seed, epoch). The
 * source's whole state is (epoch, next sample), so a resumed run sees exactly the same batches.
 */
import { Rng } from '../../rng.js'
import type { Batch, BatchSource } from '../job.js'
import type { Encoded } from './encode.js'

export interface RowsState { epoch: number; cursor: number }

const IGNORE = -100

/** the order of the samples in `epoch` */
function order(n: number, epoch: number, seed: number, shuffle: boolean): number[] {
  const idx = Array.from({ length: n }, (_, i) => i)
  if (!shuffle) return idx
  const rng = Rng.fromSeed((seed * 1000003 + epoch) >>> 0)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[idx[i], idx[j]] = [idx[j], idx[i]]
  }
  return idx
}

export class RowSource implements BatchSource {
  private epoch: number
  private cursor: number
  private perm: number[]

  constructor(
    private readonly samples: readonly Encoded[],
    readonly batchSize: number,
    readonly seqLen: number,
    readonly packed: boolean,
    private readonly padId: number,
    private readonly seed: number,
    private readonly shuffle: boolean,
    state: RowsState = { epoch: 0, cursor: 0 },
  ) {
    this.epoch = state.epoch
    this.cursor = state.cursor
    this.perm = order(samples.length, this.epoch, seed, shuffle)
  }

  get state(): RowsState { return { epoch: this.epoch, cursor: this.cursor } }

  /** completed passes over the samples, as a fraction */
  get epochsDone(): number { return this.epoch + this.cursor / this.samples.length }

  private take(): Encoded {
    if (this.cursor >= this.perm.length) {
      this.epoch++
      this.cursor = 0
      this.perm = order(this.samples.length, this.epoch, this.seed, this.shuffle)
    }
    return this.samples[this.perm[this.cursor++]]
  }

  private peek(): Encoded {
    return this.cursor < this.perm.length ? this.samples[this.perm[this.cursor]] : this.samples[order(this.samples.length, this.epoch + 1, this.seed, this.shuffle)[0]]
  }

  next(): Batch {
    const B = this.batchSize
    const rows: Encoded[][] = []
    for (let b = 0; b < B; b++) {
      const row: Encoded[] = [this.take()]
      if (this.packed) {
        let used = row[0].ids.length
        while (used + this.peek().ids.length <= this.seqLen) {
          const s = this.take()
          row.push(s)
          used += s.ids.length
        }
      }
      rows.push(row)
    }
    const longest = Math.max(...rows.map((r) => r.reduce((n, s) => n + s.ids.length, 0)))
    const T = this.packed ? this.seqLen : Math.min(this.seqLen, Math.ceil(longest / 8) * 8)
    return layRows(rows, T, this.padId, this.packed)
  }
}

/** B rows of samples → a batch of [B, T] arrays (see the header) */
export function layRows(rows: readonly (readonly Encoded[])[], T: number, padId: number, packed: boolean): Batch {
  const B = rows.length
  const inputIds = new Int32Array(B * T).fill(padId)
  const targets = new Int32Array(B * T).fill(IGNORE)
  const positionIds = new Int32Array(B * T)
  const segmentIds = new Int32Array(B * T)
  rows.forEach((row, b) => {
    let t = 0
    row.forEach((s, k) => {
      for (let i = 0; i < s.ids.length; i++, t++) {
        const at = b * T + t
        inputIds[at] = s.ids[i]
        targets[at] = i + 1 < s.labels.length ? s.labels[i + 1] : IGNORE
        positionIds[at] = i
        segmentIds[at] = k + 1
      }
    })
    // padding: positions continue (finite rope), segment 0 sees only padding
    for (let p = 0; t < T; t++, p++) positionIds[b * T + t] = p
  })
  return packed ? { inputIds, targets, positionIds, segmentIds } : { inputIds, targets }
}

/** every sample once, in order, as batches (validation): the last batch is filled up with empty rows */
export function fixedBatches(samples: readonly Encoded[], batchSize: number, seqLen: number, packed: boolean, padId: number, limit: number): Batch[] {
  const rows: Encoded[][] = []
  let row: Encoded[] = []
  let used = 0
  for (const s of samples) {
    if (row.length && (!packed || used + s.ids.length > seqLen)) { rows.push(row); row = []; used = 0 }
    row.push(s)
    used += s.ids.length
  }
  if (row.length) rows.push(row)
  const out: Batch[] = []
  for (let i = 0; i < rows.length && out.length < limit; i += batchSize) {
    const group = rows.slice(i, i + batchSize)
    while (group.length < batchSize) group.push([])
    const longest = Math.max(1, ...group.map((r) => r.reduce((n, s) => n + s.ids.length, 0)))
    out.push(layRows(group, packed ? seqLen : Math.min(seqLen, Math.ceil(longest / 8) * 8), padId, packed))
  }
  return out
}

/** rows one epoch makes (in file order), for turning --epochs into steps */
export function rowsPerEpoch(samples: readonly Encoded[], seqLen: number, packed: boolean): number {
  if (!packed) return samples.length
  let rows = 0, used = seqLen + 1
  for (const s of samples) {
    if (used + s.ids.length > seqLen) { rows++; used = 0 }
    used += s.ids.length
  }
  return rows
}
