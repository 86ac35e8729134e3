/**
 * The one seeded generator of the project: xoshiro128** (Blackman & Vigna 2018), seeded through
 * splitmix32, with 32-bit integer arithmetic only so that `--seed N` gives the same numbers on
 * every run, platform and Node version (Math.random cannot be seeded). Sampling, few-shot
 * selection, bootstrap intervals, initialisation and batch order all draw from it; its whole
 * state is four uint32s, which a checkpoint stores to resume exactly.
 */
export class Rng {
  private constructor(private a: number, private b: number, private c: number, private d: number) {}

  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`)
    // Both halves of a seed up to 2^53 take part, so seeds 1 and 2^32+1 differ.
    const mix = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2d) }
    return new Rng(splitmix32(mix), splitmix32(mix), splitmix32(mix), splitmix32(mix))
  }

  /** resume from `state` (as `.state` returned it) */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) throw new RangeError(`generator state must be four uint32s, got ${JSON.stringify(state)}`)
    return new Rng(state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0)
  }

  get state(): number[] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0]
  }

  /** uniform in [0, 1) with 32 bits of randomness */
  next(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return r / 4294967296
  }

  /** uniform integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
}

/** splitmix32: spreads one 32-bit seed into well-mixed state words (xoshiro must not start at 0). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0
  let z = state.s
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** Uniform draws in [0, 1) from the project's seeded generator, as a function. */
export function uniforms(seed: number): () => number {
  const rng = Rng.fromSeed(seed)
  return () => rng.next()
}

/** Box–Muller standard normals from the project's seeded generator. */
export function normals(seed: number): () => number {
  const rng = Rng.fromSeed(seed)
  let spare: number | undefined
  return () => {
    if (spare !== undefined) { const s = spare; spare = undefined; return s }
    let u1 = 0
    while (u1 === 0) u1 = rng.next()
    const r = Math.sqrt(-2 * Math.log(u1))
    const th = 2 * Math.PI * rng.next()
    spare = r * Math.sin(th)
    return r * Math.cos(th)
  }
}

/** A fresh random seed for runs without `--seed` (reported so a run can be repeated). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32)
}
