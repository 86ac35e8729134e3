import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError, usageError } from '../errors.js'
import { BatchSampler, type SamplerState } from '../data/batches.js'
import { loadTokenStream, maxTokenPlusOne, readDataFile, splitTrainVal, textDocuments } from '../data/dataset.js'
import { parseTokenizerSpec, resolveTokenizer, type ResolvedTokenizer } from '../data/tokenizer-spec.js'
import { hasCheckpoint, loadCheckpoint } from './checkpoint.js'
import type { Engine, LlamaConfig, OptimizerState } from './engine.js'
import { readInitFolder } from './hf-folder.js'
import { RESUMABLE_OVERRIDES, type PartialOptions, type TrainOptions } from './options.js'

/**
 * Everything a run needs before its first step: options (restored on --resume), tokenizer,
 * token streams, model config, starting weights, optimizer state and sampler position.
 */
export interface Prepared {
  options: TrainOptions
  tokenizer?: ResolvedTokenizer
  train: Uint32Array
  val: Uint32Array
  dataHash: string
  config: LlamaConfig
  bos?: number
  eos?: number
  params: Map<string, Float32Array>
  optimizer?: OptimizerState
  startStep: number
  sampler: SamplerState
  wallSeconds: number
  metricsLines: string[]
  tokensCached: boolean
}

export async function prepareRun(opts: TrainOptions, resume: boolean, given: PartialOptions, engine: Engine): Promise<Prepared> {
  const ck = resume ? loadCheckpoint(opts.out) : undefined
  if (!resume && hasCheckpoint(opts.out)) {
    throw usageError('this folder already holds a training run', { where: opts.out, hint: 'pass --resume to continue it, or choose another --out' })
  }
  let options = opts
  if (ck) {
    // the stored options decide the maths; only settings that cannot change past steps may differ
    options = { ...ck.state.options }
    for (const k of RESUMABLE_OVERRIDES) if (given[k] !== undefined) (options as unknown as Record<string, unknown>)[k] = given[k]
    if (options.steps <= ck.state.step) {
      throw usageError(`the run is already at step ${ck.state.step}`, { where: '--steps', hint: `pass --steps larger than ${ck.state.step} to continue` })
    }
  }

  const init = options.init ? readInitFolder(options.init, engine.llamaParamSpecs) : undefined
  const files = options.data.map(readDataFile)
  const hasText = files.some((f) => f.kind !== 'tokens')
  // a resumed bpe run reloads the tokenizer it trained instead of training it again
  const savedTokenizer = join(options.out, 'tokenizer.json')
  const reuse = ck && options.tokenizer?.startsWith('bpe:') && existsSync(savedTokenizer)
  const spec = reuse ? savedTokenizer : options.tokenizer ?? (init && existsSync(join(options.init!, 'tokenizer.json')) ? options.init : hasText ? 'bytes' : undefined)
  const tokenizer = spec ? await resolveTokenizer(parseTokenizerSpec(spec), () => textDocuments(files), () => files.filter((f) => f.kind !== 'tokens').map((f) => f.path)) : undefined
  const stream = loadTokenStream(files, tokenizer?.tokenizer, tokenizer?.identity ?? '', join(options.out, '.cache'))
  const { train, val } = splitTrainVal(stream.tokens, options.valFraction)
  const dataHash = createHash('sha256').update(new Uint8Array(stream.tokens.buffer, stream.tokens.byteOffset, stream.tokens.byteLength)).digest('hex')
  if (ck && ck.state.dataHash !== dataHash) {
    throw new LlmError('the data (or tokenizer) differs from the run being resumed', { where: '--data', hint: 'resume with the same data files, or start a new run' })
  }

  // one pass over the stream: the vocabulary check below, and the vocabulary of a tokenizer-less run
  const needed = maxTokenPlusOne(stream.tokens)
  const config = ck?.state.config ?? init?.config ?? configFromOptions(options, tokenizer ? tokenizer.tokenizer.vocabSize : needed)
  if (needed > config.vocabSize) {
    throw new LlmError(`the data has token id ${needed - 1} but the model's vocabulary is ${config.vocabSize}`, { where: options.data.join(', '), hint: 'use the tokenizer the model was made for' })
  }
  const params = ck?.params ?? init?.params ?? engine.initLlamaParams(config, options.seed)
  const hfBos = init?.hfConfig.bos_token_id
  const hfEos = init?.hfConfig.eos_token_id
  return {
    options, tokenizer, train, val, dataHash, config,
    bos: tokenizer ? tokenizer.tokenizer.bosTokenId : typeof hfBos === 'number' ? hfBos : undefined,
    eos: tokenizer ? tokenizer.tokenizer.eosTokenId : typeof hfEos === 'number' ? hfEos : undefined,
    params,
    optimizer: ck?.optimizer,
    startStep: ck?.state.step ?? 0,
    sampler: ck?.state.sampler ?? BatchSampler.initialState(options.seed),
    wallSeconds: ck?.state.wallSeconds ?? 0,
    metricsLines: ck?.metricsLines ?? [],
    tokensCached: stream.cached,
  }
}

function configFromOptions(o: TrainOptions, vocabSize: number): LlamaConfig {
  return {
    vocabSize,
    hiddenSize: o.dim,
    intermediateSize: o.hidden,
    numHiddenLayers: o.layers,
    numAttentionHeads: o.heads,
    numKeyValueHeads: o.kvHeads,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: o.tie,
    maxPositionEmbeddings: o.seqLen,
  }
}
