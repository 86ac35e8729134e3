/**
 * Text-generation metrics, usable on their own (translation, summarization):
 *
 *   corpusBleu(hyps, [refsA, refsB]).format()   // 'BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = …)'
 *   corpusBleu(hyps, refSets).signature         // 'nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.0.0'
 *   corpusChrf(hyps, refSets).score             // chrF2, sacrebleu 2.0 defaults
 *   rouge(target, prediction)                   // { rouge1, rouge2, rougeL } × {precision, recall, fmeasure}
 *   exactMatch(prediction, references)          // 1 | 0
 *
 * References follow sacrebleu's layout: refs[set][sentence].
 */
export { corpusBleu, sentenceBleuStats, bleuFromStats, tokenize13a, SACREBLEU_VERSION, type BleuResult, type BleuStats, type BleuTokenizer } from './bleu.js'
export { corpusChrf, chrfFromStats, type ChrfOptions, type ChrfResult } from './chrf.js'
export { rouge, rougeMulti, rougeN, rougeL, lcsLength, unicodeTokenize, rougeScoreTokenize, type RougeScore, type RougeScores } from './rouge.js'
export { exactMatch } from './exact.js'
export { mean, stderrOfMean, pairedBootstrap, type BootstrapResult } from './stats.js'
