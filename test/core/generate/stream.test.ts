import { describe, expect, it } from 'vitest'
import { Detokenizer } from '../../../src/core/generate/detokenize.js'
import { StopMatcher } from '../../../src/core/generate/stop.js'

/**
 * A miniature Llama-style tokenizer decode (SentencePiece with byte fallback, as Hugging Face's
 * Metaspace + ByteFallback decoders do it): pieces are text with ▁ for space or <0xNN> bytes;
 * invalid UTF-8 becomes U+FFFD; the first piece's leading space is dropped.
 * The real Llama tokenizer is exercised in generator.test.ts.
 */
const VOCAB = ['<s>', '</s>', '▁Hello', '▁world', '!', '<0xF0>', '<0x9F>', '<0x98>', '<0x80>', '▁', 'é', '<0xC3>', '<0xA9>']
const fake = {
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string {
    const bytes: number[] = []
    for (const id of ids) {
      if (opts?.skipSpecialTokens && id < 2) continue
      const piece = VOCAB[id]!
      const m = /^<0x([0-9A-F]{2})>$/.exec(piece)
      if (m) bytes.push(parseInt(m[1]!, 16))
      else bytes.push(...Buffer.from(piece.replaceAll('▁', ' ')))
    }
    const text = new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(bytes))
    return text.startsWith(' ') ? text.slice(1) : text
  },
}

function streamAll(ids: number[], context: number[] = []): string[] {
  const d = new Detokenizer(fake, context)
  const out = ids.map((id) => d.push(id))
  out.push(d.flush())
  return out
}

describe('Detokenizer (streaming, UTF-8 safe)', () => {
  it('holds back the bytes of an emoji until the character is complete', () => {
    // "Hello 😀!" = ▁Hello ▁ F0 9F 98 80 !
    const chunks = streamAll([2, 9, 5, 6, 7, 8, 4])
    expect(chunks).toEqual(['Hello', ' ', '', '', '', '😀', '!', ''])
    expect(chunks.join('')).toBe(fake.decode([2, 9, 5, 6, 7, 8, 4]))
    for (const c of chunks) expect(c).not.toContain('\uFFFD')
  })

  it('keeps the leading space of the first generated token after a prompt', () => {
    expect(streamAll([3, 4], [0, 2]).join('')).toBe(' world!')
    // without context (or after BOS only) the first space is dropped, as a whole decode does
    expect(streamAll([3, 4], [0]).join('')).toBe('world!')
    expect(streamAll([3, 4]).join('')).toBe('world!')
  })

  it('flushes an unfinished character as U+FFFD at the end, like a full decode', () => {
    const chunks = streamAll([2, 11])
    expect(chunks.join('')).toBe('Hello\uFFFD')
    expect(streamAll([2, 11, 12]).join('')).toBe('Helloé')
  })

  it('matches a whole decode on a long mixed sequence', () => {
    const ids = [2, 3, 9, 5, 6, 7, 8, 10, 11, 12, 4, 3, 9, 5, 6, 7, 8]
    expect(streamAll(ids, [0]).join('')).toBe(fake.decode([0, ...ids], { skipSpecialTokens: true }))
  })
})

describe('StopMatcher', () => {
  const run = (stops: string[], pieces: string[]): { out: string; stopped: boolean; emitted: string[] } => {
    const m = new StopMatcher(stops)
    const emitted: string[] = []
    for (const p of pieces) {
      const r = m.push(p)
      emitted.push(r.text)
      if (r.stopped) return { out: emitted.join(''), stopped: true, emitted }
    }
    emitted.push(m.flush())
    return { out: emitted.join(''), stopped: false, emitted }
  }

  it('stops inside one piece and does not emit the stop text', () => {
    expect(run(['END'], ['abcENDxyz'])).toMatchObject({ out: 'abc', stopped: true })
  })

  it('catches a stop spanning pieces and never emits its start early', () => {
    const r = run(['\n\nUser:'], ['Hi', '\n', '\nUs', 'er', ':', ' more'])
    expect(r).toMatchObject({ out: 'Hi', stopped: true })
    expect(r.emitted).toEqual(['Hi', '', '', '', ''])
  })

  it('releases held text when the partial match breaks', () => {
    const r = run(['\n\nUser:'], ['a\n', '\nUx'])
    expect(r.emitted).toEqual(['a', '\n\nUx', ''])
    expect(r.stopped).toBe(false)
  })

  it('takes the earliest of several stops; flushes a partial match at the end', () => {
    expect(run(['world', 'lo w'], ['hello world'])).toMatchObject({ out: 'hel', stopped: true })
    expect(run(['STOP'], ['abc', 'ST'])).toMatchObject({ out: 'abcST', stopped: false })
    expect(run([], ['a', 'b'])).toMatchObject({ out: 'ab', stopped: false })
    expect(run([''], ['a'])).toMatchObject({ out: 'a', stopped: false })
  })

  it('handles a stop that is a repeated character', () => {
    expect(run(['xx'], ['ax', 'bx', 'x', 'c'])).toMatchObject({ out: 'axb', stopped: true })
  })
})
