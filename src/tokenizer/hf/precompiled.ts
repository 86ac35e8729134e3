/**
 * The `Precompiled` normalizer (tokenizers normalizers/precompiled.rs, crate spm_precompiled):
 * SentencePiece's compiled normalization rules (a Darts double-array trie over UTF-8 bytes plus
 * NUL-terminated replacement strings), applied the Hugging Face way — per extended grapheme
 * cluster: a cluster under 6 bytes is looked up whole, otherwise (or if it has no rule) char by
 * char. A lookup takes the SHORTEST rule that is a prefix of the chunk, as the crate does.
 */
import { DartsCharsmap } from '../darts.js'

const encoder = new TextEncoder()

export class PrecompiledCharsmap {
  private readonly map: DartsCharsmap
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  private readonly memo = new Map<string, string | null>()

  /** `bytes`: the decoded base64 of tokenizer.json's `precompiled_charsmap` */
  constructor(bytes: Uint8Array) {
    this.map = new DartsCharsmap(bytes)
  }

  /** the replacement for `chunk`, or null when no rule applies */
  transform(chunk: string): string | null {
    let hit = this.memo.get(chunk)
    if (hit !== undefined) return hit
    // the shortest rule that is a prefix of the chunk, as the crate does
    hit = this.map.match(encoder.encode(chunk), 0, true) > 0 ? this.map.replacement(this.map.value) : null
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
