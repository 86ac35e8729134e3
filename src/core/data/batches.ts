import { LlmError } from '../errors.js'

/**
 * Batches of next-token windows over one token stream.
 * Dimension letters as in llm.c: B batch rows, T time (sequence length), N tokens in the stream.
 *
 *   random:     each row starts at a uniform position in [0, N − T) drawn from a seeded RNG
 *               (nanoGPT's `torch.randint(len(data) - block_size, (batch_size,))`).
 *   sequential: micro-batch k, row b starts at ((k·B + b)·T) mod (N − T) — for k = 0 this is
 *               shared/tools/torch_reference.py's batch (row b = tok[b·T : b·T+T]).
 * x = tok[i : i+T], y = tok[i+1 : i+T+1].
 *
 * The whole sampler state is (rng state, micro-batch counter): two integers a checkpoint stores,
 * so a resumed run draws exactly the batches an uninterrupted one would.
 */
export type Order = 'random' | 'sequential'

/** mulberry32: a tiny 32-bit-state PRNG; its state is one uint32, trivially checkpointed. */
export class Rng {
  constructor(public state: number) {
    this.state = state >>> 0
  }

  static fromSeed(seed: number): Rng {
    // scramble the seed once so seeds 0, 1, 2 … start far apart
    let z = (seed + 0x9e3779b9) >>> 0
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return new Rng((z ^ (z >>> 16)) >>> 0)
  }

  /** uniform in [0, 1) with 32 bits of resolution */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** uniform integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
}

export interface SamplerState { rng: number; microBatch: number }

export interface Batch { inputIds: Int32Array; targets: Int32Array }

export class BatchSampler {
  private rng: Rng
  private microBatch: number

  constructor(
    private readonly tokens: Uint32Array,
    readonly batchSize: number,
    readonly seqLen: number,
    readonly order: Order,
    state: SamplerState,
    what = 'training data',
  ) {
    if (tokens.length < seqLen + 1) {
      throw new LlmError(`${what} has ${tokens.length} tokens; a window of --seq-len ${seqLen} needs at least ${seqLen + 1}`, {
        where: '--data', hint: 'give more data or a smaller --seq-len (or a smaller --val-fraction)',
      })
    }
    this.rng = new Rng(state.rng)
    this.microBatch = state.microBatch
  }

  static initialState(seed: number): SamplerState {
    return { rng: Rng.fromSeed(seed).state, microBatch: 0 }
  }

  get state(): SamplerState {
    return { rng: this.rng.state, microBatch: this.microBatch }
  }

  /** window start of row b in the next micro-batch */
  private start(b: number, span: number): number {
    if (this.order === 'random') return this.rng.int(span)
    return ((this.microBatch * this.batchSize + b) * this.seqLen) % span
  }

  next(): Batch {
    const B = this.batchSize, T = this.seqLen
    const span = this.tokens.length - T // valid starts: [0, N − T)
    const inputIds = new Int32Array(B * T) // [B, T]
    const targets = new Int32Array(B * T) // [B, T]
    for (let b = 0; b < B; b++) {
      const i = this.start(b, span)
      for (let t = 0; t < T; t++) {
        inputIds[b * T + t] = this.tokens[i + t]
        targets[b * T + t] = this.tokens[i + t + 1]
      }
    }
    this.microBatch++
    return { inputIds, targets }
  }
}
