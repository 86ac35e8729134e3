/**
 * Evaluation: log-likelihood scoring, tasks, metrics and results (the `llm eval` command uses
 * only this).
 *
 *   const task = resolveTask('arc_easy')                  // or a .yaml task / a .jsonl data file
 *   const result = await runTask(model, task, { limit: 100, batchSize: 8, numFewshot: 0, seed: 1234 })
 *   result.metrics.acc                                    // { value, stderr, higherIsBetter }
 *   scoreLoglikelihood(model.decoder, [{ context, continuation }], { maxLength: 512 })
 *   rollingWindows(tokens, bos, maxLength)                // lm-eval's loglikelihood_rolling windows
 *
 * Text metrics (BLEU, chrF, ROUGE, exact match) live in ./metrics and are exported here too.
 */
export { scoreLoglikelihood, rollingWindows, modelInput, logSoftmaxAt, type LoglikelihoodRequest, type LoglikelihoodResult, type ScoreOptions } from './scorer.js'
export { resolveTask, BUILTIN_TASKS, TASK_METRICS, defaultDataDir, type TaskSpec, type TaskType, type FormatOverrides, type ResolveOptions } from './tasks.js'
export { buildInstances, sampleFewshot, type Instances } from './instances.js'
export { runTask, encodePair, evalMaxLength, prefixToken, type RunOptions } from './runner.js'
export { aggregate, statistic, LOWER_IS_BETTER, type TaskResult, type SampleRecord, type PerSample, type MetricValue } from './aggregate.js'
export { buildResults, sampleLines, parseGate, checkGates, summaryTable, readResults, compareResults, comparisonTable, sha256File, type ResultsFile, type RunConfig, type Gate, type Comparison } from './results.js'
export { parseJsonl, readDocs } from './data.js'
export { TRANSLATION_TASKS, resolveTranslationTask, runTranslationTask, readPairs, type TranslationResolveOptions, type TranslationRunOptions } from './tasks/translation.js'
export { hellaswagPreprocess, wikitextDetokenize, wikitextArticles, render } from './template.js'
export * from './metrics/index.js'
export { macroF1 } from './metrics/f1.js'
export { runClassificationTask } from './classification.js'
