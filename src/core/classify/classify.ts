/**
 * Zero- and few-shot classification by label log-likelihood (the "verbaliser" approach of GPT-3
 * and lm-evaluation-harness): each label's text is scored as the continuation of the prompt, and
 * the label probabilities are the softmax of those log-likelihoods.
 *
 * Contextual calibration (Zhao et al. 2021, "Calibrate Before Use", on by default): the same
 * prompt is scored with content-free inputs ("N/A", "", "[MASK]"); p_cf = the mean over them of
 * exp(log-likelihood) per label, normalised; a text's probabilities p become (p / p_cf)
 * renormalised (W = diag(p_cf)⁻¹, b = 0 in the paper's notation; as the authors' code, the mean
 * is taken over unnormalised probabilities; we renormalise instead of applying a second softmax).
 *
 * Multi-label: every label is its own yes/no question ("… Topic: LABEL / Does the topic apply?"
 * scored with " yes" and " no"), calibrated the same way per label; labels whose p(yes) reaches
 * the threshold are chosen.
 *
 * Scoring is src/core/eval/scorer.ts (batched, never changed by the batch size), prompts are
 * encoded as `llm eval` encodes them (encodePair: BOS, trailing space moved to the continuation).
 */
import { LlmError, usageError } from '../errors.js'
import { encodePair, evalMaxLength, prefixToken } from '../eval/runner.js'
import { scoreLoglikelihood, type LoglikelihoodRequest } from '../eval/scorer.js'
import type { Model } from '../model/load.js'

export const CONTENT_FREE = ['N/A', '', '[MASK]'] as const
export const DEFAULT_TEMPLATE = 'Text: {text}\nLabel:'
export const MULTI_LABEL_TEMPLATE = 'Text: {text}\nTopic: {label}\nDoes the topic apply (yes or no)?'

export const PRESETS: Record<string, { labels: string[]; template: string }> = {
  sentiment: { labels: ['positive', 'negative', 'neutral'], template: 'Review: {text}\nSentiment:' },
}

export interface Example { text: string; label: string }

export interface ClassifyOptions {
  labels: readonly string[]
  /** `{text}` is replaced by the text (and `{label}` by the label, multi-label) */
  template?: string
  fewShot?: readonly Example[]
  calibrate?: boolean
  multiLabel?: boolean
  threshold?: number
  batchSize?: number
  maxLength?: number
  onProgress?: (done: number, total: number) => void
}

export interface Classification {
  /** the best label, or (multi-label) every label at or above the threshold */
  label: string | string[]
  /** calibrated when calibration is on; multi-label: p(yes) per label */
  probs: Record<string, number>
  /** before calibration */
  uncalibrated: Record<string, number>
  /** multi-label: log-likelihood of " yes" per label */
  loglikelihoods: Record<string, number>
}

/** softmax in float64 */
export function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs)
  const e = xs.map((x) => Math.exp(x - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

/** p_cf: mean over content-free inputs of exp(ll) per label, normalised (rows: inputs, cols: labels). */
export function contentFreePrior(lls: readonly (readonly number[])[]): number[] {
  const m = Math.max(...lls.flat())
  const mean = lls[0]!.map((_, j) => lls.reduce((a, row) => a + Math.exp(row[j]! - m), 0) / lls.length)
  const s = mean.reduce((a, b) => a + b, 0)
  return mean.map((x) => x / s)
}

export function calibrate(p: readonly number[], prior: readonly number[]): number[] {
  const q = p.map((x, j) => x / prior[j]!)
  const s = q.reduce((a, b) => a + b, 0)
  return q.map((x) => x / s)
}

/**
 * The prompt for `text`: few-shot examples first (each followed by its label; multi-label, where
 * `label` is the label asked about: by yes/no, whether the example's comma-separated labels have
 * it), blank-line separated.
 */
export function buildPrompt(template: string, text: string, fewShot: readonly Example[] = [], label?: string): string {
  const fill = (t: string, x: string, l?: string) => t.replaceAll('{text}', x).replaceAll('{label}', l ?? '')
  const answer = (e: Example) => (label === undefined ? e.label : e.label.split(',').map((s) => s.trim()).includes(label) ? 'yes' : 'no')
  const shots = fewShot.map((e) => `${fill(template, e.text, label)} ${answer(e)}`)
  return [...shots, fill(template, text, label)].join('\n\n')
}

export function checkLabels(labels: readonly string[]): string[] {
  const clean = labels.map((l) => l.trim()).filter((l) => l !== '')
  if (clean.length === 0) throw usageError('the label list is empty', { where: '--labels', hint: 'e.g. --labels positive,negative,neutral (or --labels-file, or --preset sentiment)' })
  const dup = clean.find((l, i) => clean.indexOf(l) !== i)
  if (dup !== undefined) throw usageError(`label '${dup}' is given twice`, { where: '--labels' })
  return clean
}

export async function classify(model: Model, texts: readonly string[], opts: ClassifyOptions): Promise<Classification[]> {
  const labels = checkLabels(opts.labels)
  if (!opts.multiLabel && labels.length < 2) throw usageError('single-label classification needs at least two labels', { where: '--labels', hint: 'or use --multi-label' })
  const fewShot = opts.fewShot ?? []
  const calibrateOn = opts.calibrate ?? true
  const bos = prefixToken(model)
  const maxLength = evalMaxLength(model, opts.maxLength)
  const inputs = calibrateOn ? [...texts, ...CONTENT_FREE] : [...texts]
  // one request per (input, choice): choices are the labels, or yes/no per label (multi-label)
  const choices = opts.multiLabel ? [' yes', ' no'] : labels.map((l) => ` ${l}`)
  const groups = opts.multiLabel ? labels : [undefined]
  const template = opts.template ?? (opts.multiLabel ? MULTI_LABEL_TEMPLATE : DEFAULT_TEMPLATE)
  if (!template.includes('{text}')) throw usageError('the template has no {text} placeholder', { where: '--template' })
  const reqs: LoglikelihoodRequest[] = []
  for (const x of inputs) for (const g of groups) for (const c of choices) reqs.push(encodePair(model, buildPrompt(template, x, fewShot, g), c, bos))
  for (const r of reqs) if (r.context.length === 0) throw new LlmError('the prompt is empty and the model has no BOS token', { where: '--template' })
  const res = await scoreLoglikelihood(model.decoder, reqs, { batchSize: opts.batchSize ?? 8, maxLength, onProgress: opts.onProgress })
  const ll = (input: number, group: number): number[] => choices.map((_, c) => res[(input * groups.length + group) * choices.length + c]!.loglikelihood)
  const priors = groups.map((_, g) => calibrateOn ? contentFreePrior(CONTENT_FREE.map((_, k) => ll(texts.length + k, g))) : undefined)
  return texts.map((_, i) => {
    const raw = groups.map((_, g) => softmax(ll(i, g)))
    const cal = raw.map((p, g) => (priors[g] ? calibrate(p, priors[g]!) : p))
    if (opts.multiLabel) {
      const probs = Object.fromEntries(labels.map((l, g) => [l, cal[g]![0]!]))
      const threshold = opts.threshold ?? 0.5
      return {
        label: labels.filter((l) => probs[l]! >= threshold), probs,
        uncalibrated: Object.fromEntries(labels.map((l, g) => [l, raw[g]![0]!])),
        loglikelihoods: Object.fromEntries(labels.map((l, g) => [l, ll(i, g)[0]!])),
      }
    }
    const p = cal[0]!
    const best = p.reduce((b, x, j) => (x > p[b]! ? j : b), 0)
    return {
      label: labels[best]!, probs: Object.fromEntries(labels.map((l, j) => [l, p[j]!])),
      uncalibrated: Object.fromEntries(labels.map((l, j) => [l, raw[0]![j]!])),
      loglikelihoods: Object.fromEntries(labels.map((l, j) => [l, ll(i, 0)[j]!])),
    }
  })
}
