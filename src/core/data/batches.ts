import { LlmError } from '../errors.js'
import { Rng } from '../rng.js'

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
 * The whole sampler state is (rng state, micro-batch counter): a few integers a checkpoint stores,
 * so a resumed run draws exactly the batches an uninterrupted one would.
 */
export type Order = 'random' | 'sequential'

export interface SamplerState { rng: number[]; microBatch: number }

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
    this.rng = Rng.fromState(state.rng)
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
