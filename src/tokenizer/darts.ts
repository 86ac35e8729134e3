/**
 * SentencePiece's precompiled charsmap, shared by the SentencePiece normalizer and Hugging Face's
 * `Precompiled` normalizer: uint32 LE trie size, a Darts-clone double-array trie over UTF-8
 * bytes, then the NUL-terminated replacement strings the trie values point into.
 */
export class DartsCharsmap {
  private readonly units: Uint32Array
  private readonly normalized: Uint8Array
  /** value of the hit the last `match` returned (an offset into the replacement strings) */
  value = 0

  constructor(bytes: Uint8Array) {
    if (bytes.length < 4) throw new Error('precompiled_charsmap is shorter than its 4-byte header')
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const trieSize = dv.getUint32(0, true)
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) throw new Error('precompiled_charsmap: bad trie size')
    this.units = new Uint32Array(trieSize / 4)
    for (let i = 0; i < this.units.length; i++) this.units[i] = dv.getUint32(4 + i * 4, true)
    this.normalized = bytes.subarray(4 + trieSize)
  }

  /**
   * Darts-clone `commonPrefixSearch` over `key[start..]`: the byte length of the longest hit (or,
   * with `shortest`, the first one, stopping at a NUL byte as spm_precompiled does), 0 when none;
   * its value is left in `this.value`. Unit layout: bit 8 = has leaf, low 31 bits of a leaf unit
   * = value, label = bits 0-7 (+ bit 31), offset = bits 10.. shifted by 8 when bit 9 is set.
   */
  match(key: Uint8Array, start: number, shortest: boolean): number {
    const units = this.units
    let node = 0
    let unit = units[node]!
    node ^= offset(unit)
    let bestLen = 0
    for (let i = start; i < key.length; i++) {
      const c = key[i]!
      if (shortest && c === 0) break
      node ^= c
      unit = units[node]!
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== c) break
      node ^= offset(unit)
      if ((unit >>> 8) & 1) {
        bestLen = i - start + 1
        this.value = units[node]! & 0x7fffffff
        if (shortest) break
      }
    }
    return bestLen
  }

  /** the NUL-terminated replacement string at `offset` */
  replacement(offset: number): string {
    let end = offset
    while (end < this.normalized.length && this.normalized[end] !== 0) end++
    return Buffer.from(this.normalized.subarray(offset, end)).toString('utf8')
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6)
}
