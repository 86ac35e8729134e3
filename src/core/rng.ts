/**
 * mulberry32 (Tommy Ettinger, 2017): a small, well-mixed 32-bit generator using 32-bit integer
 * arithmetic only, so sequences are identical on every platform. Used for parameter
 * initialisation and training batch order; its whole state is one uint32, trivially checkpointed.
 * (Sampling during generation uses xoshiro128** in core/generate/rng.ts.)
 */
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
