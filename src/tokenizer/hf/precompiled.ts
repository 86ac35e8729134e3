/**
 * The `Precompiled` normalizer (tokenizers normalizers/precompiled.rs, crate spm_precompiled):
 * SentencePiece's compiled normalization rules (a Darts double-array trie over UTF-8 bytes plus
 * NUL-terminated replacement strings), applied the Hugging Face way — per extended grapheme
 * cluster: a cluster under 6 bytes is looked up whole, otherwise (or if it has no rule) char by
 * char. A lookup takes the SHORTEST rule that is a prefix of the chunk, as the crate does.
 */
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export class PrecompiledCharsmap {
  private readonly units: Uint32Array
  private readonly normalized: Uint8Array
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  private readonly memo = new Map<string, string | null>()

  /** `bytes`: the decoded base64 of tokenizer.json's `precompiled_charsmap` */
  constructor(bytes: Uint8Array) {
    if (bytes.length < 4) throw new Error('precompiled_charsmap is shorter than its 4-byte header')
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const trieSize = dv.getUint32(0, true)
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) throw new Error('precompiled_charsmap: bad trie size')
    this.units = new Uint32Array(trieSize / 4)
    for (let i = 0; i < this.units.length; i++) this.units[i] = dv.getUint32(4 + i * 4, true)
    this.normalized = bytes.subarray(4 + trieSize)
  }

  /** Darts-clone commonPrefixSearch, first (shortest) hit only: the replacement's offset, or -1 */
  private firstPrefix(key: Uint8Array): number {
    const u = this.units
    let pos = 0
    let unit = u[pos]!
    pos ^= offset(unit)
    for (let i = 0; i < key.length; i++) {
      const c = key[i]!
      if (c === 0) break
      pos ^= c
      unit = u[pos]!
      if (unit === undefined || (unit & 0x800000ff) !== c) return -1
      pos ^= offset(unit)
      if ((unit >>> 8) & 1) return u[pos]! & 0x7fffffff
    }
    return -1
  }

  /** the replacement for `chunk`, or null when no rule applies */
  transform(chunk: string): string | null {
    let hit = this.memo.get(chunk)
    if (hit !== undefined) return hit
    const idx = this.firstPrefix(encoder.encode(chunk))
    if (idx < 0) hit = null
    else {
      let end = idx
      while (end < this.normalized.length && this.normalized[end] !== 0) end++
      hit = decoder.decode(this.normalized.subarray(idx, end))
    }
    if (this.memo.size < 65536) this.memo.set(chunk, hit)
    return hit
  }

  normalize(s: string): string {
    let out = ''
    for (const { segment } of this.segmenter.segment(s)) {
      if (Buffer.byteLength(segment) < 6) {
        const t = this.transform(segment)
        if (t !== null) { out += t; continue }
      }
      for (const ch of segment) out += this.transform(ch) ?? ch
    }
    return out
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6)
}
