/**
 * Zero-/few-shot classification by label log-likelihood with contextual calibration.
 *
 *   const model = await Model.load(undefined)
 *   const [r] = await classify(model, ['I loved it'], { labels: ['positive', 'negative'] })
 *   r.label, r.probs.positive                    // calibrated; r.uncalibrated before calibration
 */
export { classify, softmax, calibrate, contentFreePrior, buildPrompt, checkLabels, CONTENT_FREE, DEFAULT_TEMPLATE, MULTI_LABEL_TEMPLATE, PRESETS, type ClassifyOptions, type Classification, type Example } from './classify.js'
export { readRecords, readFewShot, parseCsv, type InputRecord } from './input.js'
