/**
 * Log-likelihood scoring through the same ONNX decoder generation uses (src/core/runtime/decoder.ts),
 * one cache-less forward pass per request, no sampling.
 *
 * A request is (context ids, continuation ids). As in lm-evaluation-harness's
 * `_loglikelihood_tokens`, the model reads `(context ++ continuation)[-(maxLength+1):][:-1]` and the
 * last |continuation| positions' log-softmax are gathered at the continuation's ids; `isGreedy` is
 * true when every continuation token is the argmax at its position.
 *
 * Batching never changes a score: requests are sorted longest first, a batch is RIGHT-padded
 * (causal attention means a real position never sees the padding after it; the attention mask
 * marks the pads too) and only real positions are gathered. Log-softmax runs in float64.
 *
 * Shapes: B batch rows, S padded length, V vocab.
 */
import type { Decoder } from '../runtime/decoder.js'
import { LlmError } from '../errors.js'

export interface LoglikelihoodRequest {
  context: readonly number[]
  continuation: readonly number[]
}

export interface LoglikelihoodResult {
  /** sum of log p(continuation token | everything before it), natural log */
  loglikelihood: number
  /** every continuation token is the argmax at its position */
  isGreedy: boolean
  /** per-token log-probabilities */
  tokenLogprobs: number[]
}

export interface ScoreOptions {
  /** rows per forward pass (default 1) */
  batchSize?: number
  /** the model's context length: inputs are cut from the left to fit */
  maxLength: number
  /** id written into padded positions (never read: default 0) */
  padId?: number
  /** called after each batch with the number of requests done */
  onProgress?: (done: number, total: number) => void
}

/** The tokens fed to the model and how many trailing positions predict the continuation. */
export function modelInput(req: LoglikelihoodRequest, maxLength: number): { input: number[]; contLen: number } {
  const contLen = req.continuation.length
  if (contLen === 0) throw new LlmError('cannot score an empty continuation')
  if (req.context.length === 0) throw new LlmError('cannot score a continuation without context (start it with BOS)')
  if (contLen > maxLength) throw new LlmError(`the continuation has ${contLen} tokens, more than the model's context of ${maxLength}`)
  const whole = [...req.context, ...req.continuation]
  const input = whole.slice(-(maxLength + 1)).slice(0, -1)
  return { input, contLen }
}

/** log-softmax of `row` (float32 logits) at `target`, in float64; and whether target is the argmax. */
export function logSoftmaxAt(row: Float32Array, target: number): { logprob: number; isArgmax: boolean } {
  let max = -Infinity
  let argmax = 0
  for (let v = 0; v < row.length; v++) if (row[v]! > max) { max = row[v]!; argmax = v }
  let sum = 0
  for (let v = 0; v < row.length; v++) sum += Math.exp(row[v]! - max)
  return { logprob: row[target]! - max - Math.log(sum), isArgmax: argmax === target }
}

export async function scoreLoglikelihood(decoder: Decoder, requests: readonly LoglikelihoodRequest[], opts: ScoreOptions): Promise<LoglikelihoodResult[]> {
  const batchSize = Math.max(1, opts.batchSize ?? 1)
  const padId = opts.padId ?? 0
  const prepared = requests.map((r) => modelInput(r, opts.maxLength))
  // longest first (lm-eval's order): the first batch fails fast if memory is short, and rows of a
  // batch have similar lengths so little is padded; ties keep the request order (stable sort)
  const order = prepared.map((_, i) => i).sort((a, b) => prepared[b]!.input.length - prepared[a]!.input.length)
  const results = new Array<LoglikelihoodResult>(requests.length)
  let done = 0
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize)
    const B = rows.length
    const S = prepared[rows[0]!]!.input.length
    const ids = new Array<number>(B * S).fill(padId)
    const mask = new Array<number>(B * S).fill(0)
    rows.forEach((r, b) => {
      const inp = prepared[r]!.input
      for (let s = 0; s < inp.length; s++) { ids[b * S + s] = inp[s]!; mask[b * S + s] = 1 }
    })
    const out = await decoder.forward({ ids, batch: B, cache: decoder.emptyCache(B), attentionMask: mask, logits: 'all' })
    const V = out.vocabSize
    rows.forEach((r, b) => {
      const { input, contLen } = prepared[r]!
      const cont = requests[r]!.continuation
      const tokenLogprobs: number[] = []
      let greedy = true
      for (let k = 0; k < contLen; k++) {
        // position p's logits predict token p+1 of the whole sequence
        const p = input.length - contLen + k
        const row = out.logits.subarray((b * S + p) * V, (b * S + p + 1) * V)
        const { logprob, isArgmax } = logSoftmaxAt(row, cont[k]!)
        tokenLogprobs.push(logprob)
        greedy &&= isArgmax
      }
      results[r] = { loglikelihood: tokenLogprobs.reduce((a, x) => a + x, 0), isGreedy: greedy, tokenLogprobs }
    })
    done += B
    opts.onProgress?.(done, requests.length)
  }
  return results
}

/**
 * lm-evaluation-harness's rolling windows (utils.get_rolling_token_windows with context_len=1,
 * then make_disjoint_window): every token of `tokens` is predicted exactly once; the first window
 * starts from `prefixToken` (BOS/EOS), each later one carries as much preceding text as fits in
 * `maxLength`. Returns (context, continuation) requests whose log-likelihoods sum to the document's.
 */
export function rollingWindows(tokens: readonly number[], prefixToken: number, maxLength: number): LoglikelihoodRequest[] {
  if (maxLength < 1) throw new LlmError(`the model's context must be at least 1 token, got ${maxLength}`)
  const out: LoglikelihoodRequest[] = []
  if (tokens.length === 0) return out
  const firstLen = Math.min(maxLength, tokens.length)
  out.push({ context: [prefixToken], continuation: tokens.slice(0, firstLen) })
  let predicted = firstLen
  while (predicted < tokens.length) {
    const predLen = Math.min(tokens.length - predicted, maxLength)
    const end = predicted + predLen
    // the window input is tokens[end-maxLength-1 .. end-1); the last predLen are predicted, so the
    // disjoint context is what comes before them
    const ctxStart = Math.max(0, end - maxLength - 1)
    out.push({ context: tokens.slice(ctxStart, end - predLen), continuation: tokens.slice(end - predLen, end) })
    predicted = end
  }
  return out
}
