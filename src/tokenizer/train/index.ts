import { writeFileAtomic } from '../../core/atomic.js'
import { LlmError, usageError } from '../../core/errors.js'
import { compileSplitRegex } from '../regex.js'
import { type BpeTrainOptions, PieceCounter, SPLIT_PATTERNS, trainBpe } from './bpe-trainer.js'
import { ByteLevelBpeTokenizer } from './byte-level-bpe.js'
import { describeCorpus, readCorpus } from './corpus.js'

export { SPLIT_PATTERNS, PieceCounter, trainBpe } from './bpe-trainer.js'
export type { BpeTrainOptions, BpeTrainResult } from './bpe-trainer.js'
export { ByteLevelBpeTokenizer } from './byte-level-bpe.js'
export { describeCorpus, readCorpus } from './corpus.js'

export interface TrainTokenizerOptions {
  vocabSize: number
  minFrequency?: number
  specialTokens?: readonly string[]
  /** 'gpt4' (default), 'gpt2' or a regex */
  pattern?: string
  /** write the tokenizer.json here (atomically) */
  out?: string
  /** phase 'read': bytes of the corpus read; phase 'merge': merges done */
  onProgress?: (phase: 'read' | 'merge', done: number, total: number) => void
}

export interface TrainTokenizerSummary {
  tokenizer: ByteLevelBpeTokenizer
  vocabSize: number
  merges: number
  documents: number
  bytes: number
  pieces: number
  uniquePieces: number
  /** training stopped before the vocab size because no pair reached min frequency */
  stoppedEarly: boolean
  seconds: number
}

/** Resolve a --pattern value: a preset name or a regex (checked to translate and compile). */
export function resolvePattern(p: string | undefined): string {
  if (p === undefined || p === 'gpt4') return SPLIT_PATTERNS.gpt4
  if (p === 'gpt2') return SPLIT_PATTERNS.gpt2
  try {
    compileSplitRegex(p, { where: '--pattern', dialect: 'oniguruma' })
  } catch (e) {
    // a pattern the user typed is a usage error (exit 2), with the translator's reason
    throw e instanceof LlmError ? usageError(e.message, { where: '--pattern', hint: e.hint }) : e
  }
  return p
}

/** Validate options before any file is read (usage errors, exit code 2). */
export function checkTrainOptions(opts: TrainTokenizerOptions): void {
  const specials = opts.specialTokens ?? []
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 256 + specials.length) {
    throw usageError(`vocab size ${opts.vocabSize} is too small`, { where: '--vocab-size', hint: `need at least 256 byte tokens + ${specials.length} special tokens = ${256 + specials.length}` })
  }
  if (opts.vocabSize >= 1 << 21) throw usageError(`vocab size ${opts.vocabSize} is too large`, { where: '--vocab-size', hint: 'use at most 2097151' })
  if (opts.minFrequency !== undefined && (!Number.isInteger(opts.minFrequency) || opts.minFrequency < 1)) {
    throw usageError(`min frequency ${opts.minFrequency} must be a positive integer`, { where: '--min-frequency' })
  }
  const seen = new Set<string>()
  for (const s of specials) {
    if (s.length === 0) throw usageError('empty special token', { where: '--special-tokens', hint: 'a comma-separated list like "<|endoftext|>,<|pad|>"' })
    if (seen.has(s)) throw usageError(`special token '${s}' is listed twice`, { where: '--special-tokens' })
    seen.add(s)
  }
}

/** Train a byte-level BPE tokenizer on text / JSONL files and optionally write tokenizer.json. */
export function trainTokenizer(files: readonly string[], opts: TrainTokenizerOptions): TrainTokenizerSummary {
  const t0 = performance.now()
  checkTrainOptions(opts)
  const pattern = resolvePattern(opts.pattern)
  const corpus = describeCorpus(files)
  const total = corpus.reduce((s, f) => s + f.bytes, 0)
  const counter = new PieceCounter(pattern)
  readCorpus(corpus, (t, continued) => counter.add(t, continued), (done) => opts.onProgress?.('read', done, total))
  const trainOpts: BpeTrainOptions = {
    vocabSize: opts.vocabSize,
    minFrequency: opts.minFrequency,
    specialTokens: opts.specialTokens,
    pattern,
    onProgress: (done, planned) => opts.onProgress?.('merge', done, planned),
  }
  const result = trainBpe(counter, trainOpts)
  const tokenizer = new ByteLevelBpeTokenizer(result)
  if (opts.out) writeFileAtomic(opts.out, JSON.stringify(tokenizer.toTokenizerJson()))
  return {
    tokenizer,
    vocabSize: result.vocab.length,
    merges: result.merges.length,
    documents: result.stats.documents,
    bytes: result.stats.bytes,
    pieces: result.stats.pieces,
    uniquePieces: result.stats.uniquePieces,
    stoppedEarly: result.stats.stoppedEarly,
    seconds: (performance.now() - t0) / 1000,
  }
}
