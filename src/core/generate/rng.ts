/**
 * A small seeded PRNG of our own (xoshiro128**, Blackman & Vigna 2018, seeded through splitmix32)
 * so that `--seed N` gives the same tokens on every run, platform and Node version:
 * Math.random cannot be seeded.
 */
export interface Rng {
  /** uniform in [0, 1) with 32 bits of randomness */
  next(): number
}

/** splitmix32: spreads one 32-bit seed into well-mixed state words (xoshiro must not start at 0). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0
  let z = state.s
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

export function xoshiro128ss(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`)
  // Both halves of a seed up to 2^53 take part, so seeds 1 and 2^32+1 differ.
  const mix = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2d) }
  let a = splitmix32(mix), b = splitmix32(mix), c = splitmix32(mix), d = splitmix32(mix)
  return {
    next(): number {
      const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
      const t = b << 9
      c ^= a; d ^= b; b ^= c; a ^= d
      c ^= t
      d = rotl(d, 11)
      return r / 4294967296
    },
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** A fresh random seed for runs without `--seed` (reported so a run can be repeated). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32)
}
