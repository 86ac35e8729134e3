/**
 * A reference implementation of Hugging Face's beam search for the tests, transliterated in the
 * tensor style of transformers' generation/utils.py `_beam_search` (commit
 * 000034a44ef887621d9b36001a5eb7c46e64cb3f): fixed [B, K, max_length] running/finished sequence
 * arrays, `beams_to_keep` top-k over the flattened K·V scores, the -1e9 masking arithmetic of
 * `_get_running_beams_for_next_iteration` / `_update_finished_beams`, `_check_early_stop_heuristic`
 * and `_beam_search_has_unfinished_sequences` as written there. The processors are HF's
 * NoRepeatNGramLogitsProcessor and MinNewTokensLengthLogitsProcessor, written out here again.
 * It recomputes every row from scratch through `logitsOf(sequence)` (no cache, no row dropping),
 * so it shares nothing with src/core/generate/beam.ts but the problem statement.
 */
export interface RefConfig {
  numBeams: number
  lengthPenalty: number
  earlyStopping: boolean | 'never'
  maxNewTokens: number
  eos: number[]
  numReturnSequences: number
  noRepeatNgramSize?: number
  minNewTokens?: number
  pad: number
}

export interface RefHypothesis { tokens: number[]; score: number }

function logSoftmax(x: Float32Array): number[] {
  const m = Math.max(...x)
  const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0))
  return Array.from(x, (v) => v - lse)
}

/** torch.topk(values, k) indices, sorted, ties → lower index (what a stable sort gives) */
function topk(values: number[], k: number): number[] {
  return values.map((v, i) => [v, i] as const).sort((a, b) => (b[0] - a[0]) || (a[1] - b[1])).slice(0, k).map((p) => p[1])
}

function noRepeatNgram(ids: number[], n: number, scores: number[]): void {
  // _get_ngrams: every n-gram of the row, prefix → next tokens; banned = those after the last n−1
  const curLen = ids.length
  if (curLen + 1 < n) return
  const generated = new Map<string, number[]>()
  for (let i = 0; i + n <= ids.length; i++) {
    const key = ids.slice(i, i + n - 1).join(',')
    generated.set(key, [...(generated.get(key) ?? []), ids[i + n - 1]!])
  }
  for (const t of generated.get(ids.slice(curLen + 1 - n, curLen).join(',')) ?? []) scores[t] = -Infinity
}

export function hfBeamSearch(logitsOf: (seq: number[]) => Float32Array, prompts: number[][], c: RefConfig): RefHypothesis[][] {
  const B = prompts.length
  const K = c.numBeams
  const P = prompts[0]!.length
  if (prompts.some((p) => p.length !== P)) throw new Error('the reference needs equal-length (left-padded) prompts')
  const maxLength = P + c.maxNewTokens
  const beamsToKeep = Math.max(2, 1 + c.eos.length) * K
  const topNumBeamMask = Array.from({ length: beamsToKeep }, (_, j) => j < K)
  const fill = (): number[] => new Array<number>(maxLength).fill(c.pad)
  // running_sequences / sequences [B, K, max_length]; generated lengths stand in for beam_indices
  let running = prompts.map((p) => Array.from({ length: K }, () => { const s = fill(); p.forEach((t, i) => { s[i] = t }); return s }))
  let sequences = running.map((r) => r.map((s) => [...s]))
  let seqLen = prompts.map(() => new Array<number>(K).fill(P))
  let runningBeamScores: number[][] = prompts.map(() => Array.from({ length: K }, (_, j) => (j === 0 ? 0 : -1e9)))
  let beamScores = prompts.map(() => new Array<number>(K).fill(-1e9))
  let isSentFinished = prompts.map(() => new Array<boolean>(K).fill(false))
  let unsatisfied = prompts.map(() => true)
  let curLen = P
  for (;;) {
    // a + b: log_softmax, processors, + running scores, flattened to K·V per problem
    let V = 0
    const acc: number[][] = []
    for (let b = 0; b < B; b++) {
      const row: number[] = []
      for (let k = 0; k < K; k++) {
        const seq = running[b]![k]!.slice(0, curLen)
        const lp = logSoftmax(logitsOf(seq))
        V = lp.length
        if (c.noRepeatNgramSize) noRepeatNgram(seq, c.noRepeatNgramSize, lp)
        if (c.minNewTokens && curLen - P < c.minNewTokens) for (const e of c.eos) lp[e] = -Infinity
        for (const x of lp) row.push(x + runningBeamScores[b]![k]!)
      }
      acc.push(row)
    }
    // c. _get_top_k_continuations
    const topkLogProbs: number[][] = [], topkSeqs: number[][][] = [], topkLen: number[][] = []
    for (let b = 0; b < B; b++) {
      const idx = topk(acc[b]!, Math.min(beamsToKeep, K * V))
      topkLogProbs.push(idx.map((i) => acc[b]![i]!))
      topkSeqs.push(idx.map((i) => { const s = [...running[b]![Math.floor(i / V)]!]; s[curLen] = i % V; return s }))
      topkLen.push(idx.map(() => curLen + 1))
    }
    // d. stopping criteria on topk_running_sequences[:, :, :cur_len + 1]: EOS or max_length
    const hits = topkSeqs.map((rows) => rows.map((s) => c.eos.includes(s[curLen]!) || curLen + 1 >= maxLength))
    // e. _get_running_beams_for_next_iteration
    const topkRunning = topkLogProbs.map((row, b) => row.map((x, j) => x + (hits[b]![j] ? 1 : 0) * -1e9))
    const nextRunning = topkRunning.map((row) => topk(row, K))
    const newRunning = nextRunning.map((idx, b) => idx.map((j) => topkSeqs[b]![j]!))
    const newRunningScores = nextRunning.map((idx, b) => idx.map((j) => topkRunning[b]![j]!))
    // f. _update_finished_beams
    for (let b = 0; b < B; b++) {
      const just = hits[b]!.map((h, j) => h && topNumBeamMask[j]!)
      const full = isSentFinished[b]!.every(Boolean) && c.earlyStopping === true
      const s = topkLogProbs[b]!.map((x, j) => {
        let v = x / Math.pow(curLen + 1 - P, c.lengthPenalty)
        v += (full ? 1 : 0) * -1e9
        v += (unsatisfied[b] ? 0 : 1) * -1e9
        v += (just[j] ? 0 : 1) * -1e9
        return v
      })
      const mSeqs = [...sequences[b]!, ...topkSeqs[b]!]
      const mLen = [...seqLen[b]!, ...topkLen[b]!]
      const mScores = [...beamScores[b]!, ...s]
      const mFinished = [...isSentFinished[b]!, ...just]
      const idx = topk(mScores, K)
      sequences[b] = idx.map((i) => mSeqs[i]!)
      seqLen[b] = idx.map((i) => mLen[i]!)
      beamScores[b] = idx.map((i) => mScores[i]!)
      isSentFinished[b] = idx.map((i) => mFinished[i]!)
    }
    running = newRunning; runningBeamScores = newRunningScores
    // g. next step's stopping decision
    curLen += 1
    for (let b = 0; b < B; b++) {
      const bestLen = c.earlyStopping === 'never' && c.lengthPenalty > 0 ? maxLength - P : curLen - P
      const best = runningBeamScores[b]![0]! / Math.pow(bestLen, c.lengthPenalty)
      const minScore = Math.min(...beamScores[b]!)
      const worst = isSentFinished[b]!.map((f) => (f ? minScore : -1e9))
      unsatisfied[b] = unsatisfied[b]! && worst.some((w) => best > w)
    }
    const improvementPossible = unsatisfied.some(Boolean)
    const existsOpenBeam = !(isSentFinished.every((r) => r.every(Boolean)) && c.earlyStopping === true)
    const validContinuations = !hits.every((r) => r.every(Boolean))
    if (!(improvementPossible && existsOpenBeam && validContinuations)) break
  }
  return sequences.map((rows, b) => rows.slice(0, c.numReturnSequences).map((s, j) => ({ tokens: s.slice(P, seqLen[b]![j]!), score: beamScores[b]![j]! })))
}
