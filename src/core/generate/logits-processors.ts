/**
 * Hugging Face's logits processors that beam search and seq2seq greedy decoding apply, in the
 * order transformers' `_get_logits_processor` lists them (generation/logits_process.py):
 * NoRepeatNGram, NoBadWords, MinLength, MinNewTokensLength, ForcedBOS, ForcedEOS. They edit one
 * row's scores in place: raw logits for greedy, log-probabilities for beam search (HF runs them
 * after log_softmax there). `ids` is the row's whole input_ids — the decoder-only prompt or the
 * seq2seq decoder start token, then the generated tokens — and `promptLength` its prompt part.
 */
export interface ProcessorOptions {
  eosTokenIds: readonly number[]
  /** HF max_length: the longest `ids` may become (ForcedEOS fires at max_length − 1) */
  maxLength: number
  /** min_length counts the prompt (decoder-only) or the start token (seq2seq), as in HF */
  minLength?: number
  minNewTokens?: number
  noRepeatNgramSize?: number
  badWordsIds?: readonly (readonly number[])[]
  forcedBosTokenId?: number
  forcedEosTokenId?: number | readonly number[]
}

export type Scores = Float32Array | Float64Array

/** True when no processor would change anything (the hot loop can skip the call). */
export function processorsIdle(o: ProcessorOptions): boolean {
  return !o.minLength && !o.minNewTokens && !o.noRepeatNgramSize && !(o.badWordsIds?.length) && o.forcedBosTokenId === undefined && o.forcedEosTokenId === undefined
}

export function applyProcessors(scores: Scores, ids: readonly number[], promptLength: number, o: ProcessorOptions): void {
  const curLen = ids.length
  if (o.noRepeatNgramSize) for (const t of bannedNgramTokens(ids, o.noRepeatNgramSize)) scores[t] = -Infinity
  if (o.badWordsIds?.length) {
    for (const bad of o.badWordsIds) {
      if (bad.length === 0) continue
      // a bad word's last token is banned when the tokens before it end `ids` (single tokens always)
      const head = bad.length - 1
      let match = curLen >= head
      for (let i = 0; match && i < head; i++) match = ids[curLen - head + i] === bad[i]
      if (match && bad[head]! < scores.length) scores[bad[head]!] = -Infinity
    }
  }
  if (o.minLength && curLen < o.minLength) for (const e of o.eosTokenIds) if (e < scores.length) scores[e] = -Infinity
  if (o.minNewTokens && curLen - promptLength < o.minNewTokens) for (const e of o.eosTokenIds) if (e < scores.length) scores[e] = -Infinity
  if (o.forcedBosTokenId !== undefined && curLen === 1) force(scores, [o.forcedBosTokenId])
  if (o.forcedEosTokenId !== undefined && curLen === o.maxLength - 1) force(scores, typeof o.forcedEosTokenId === 'number' ? [o.forcedEosTokenId] : o.forcedEosTokenId)
}

function force(scores: Scores, ids: readonly number[]): void {
  scores.fill(-Infinity)
  for (const id of ids) if (id < scores.length) scores[id] = 0
}

/**
 * NoRepeatNGramLogitsProcessor (_get_ngrams + _get_generated_ngrams): the tokens that would
 * complete an n-gram already present in `ids`, given its last n − 1 tokens.
 */
export function bannedNgramTokens(ids: readonly number[], n: number): number[] {
  const curLen = ids.length
  if (curLen + 1 < n) return []
  const banned: number[] = []
  const start = curLen + 1 - n
  for (let i = 0; i + n <= curLen; i++) {
    let same = true
    for (let j = 0; same && j < n - 1; j++) same = ids[i + j] === ids[start + j]
    if (same) banned.push(ids[i + n - 1]!)
  }
  return banned
}
