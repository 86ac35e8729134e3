/**
 * `llm pretrain` as a TrainJob: a token stream (text, JSONL or llm.c token files, tokenized once
 * and cached), random or sequential windows, all tensors trained, and a Hugging Face model folder
 * as output. The model is a new Llama from the architecture options, or — with `--init DIR` — any
 * supported family's checkpoint, whose config.json is kept as it is.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { BatchSampler, type SamplerState } from '../data/batches.js'
import { loadTokenStream, maxTokenPlusOne, readDataFile, splitTrainVal, textDocuments } from '../data/dataset.js'
import { parseTokenizerSpec, resolveTokenizer } from '../data/tokenizer-spec.js'
import { Checkpoint } from '../model/checkpoint.js'
import { Rng } from '../rng.js'
import { exportOnnx } from '../convert/onnx.js'
import { initParams, newLlamaConfigJson, paramSpecs, readModelConfig } from '../../kernels/model/index.js'
import { hasCheckpoint, linkInto, loadCheckpoint } from './checkpoint.js'
import type { TrainJob } from './job.js'
import { RESUMABLE_OVERRIDES, type PartialOptions, type TrainOptions } from './options.js'
import { greedySample } from './sample.js'

/** seed of the validation windows: fixed, so every evaluation sees the same windows */
const VAL_SEED_SALT = 0x5eed

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n'

export async function pretrainJob(opts: TrainOptions, resume: boolean, given: PartialOptions): Promise<TrainJob> {
  const ck = resume ? loadCheckpoint(opts.out) : undefined
  if (!resume && hasCheckpoint(opts.out)) {
    throw usageError('this folder already holds a training run', { where: opts.out, hint: 'pass --resume to continue it, or choose another --out' })
  }
  if (ck && ck.state.kind !== 'pretrain') throw usageError(`this folder holds a ${ck.state.kind} run`, { where: opts.out, hint: `continue it with llm ${ck.state.kind} --resume` })
  const o = ck ? resumedOptions(ck.state.options, ck.state.step, given) : opts

  const init = o.init ? Checkpoint.open(o.init) : undefined
  const files = o.data.map(readDataFile)
  const hasText = files.some((f) => f.kind !== 'tokens')
  // a resumed bpe run reloads the tokenizer it trained instead of training it again
  const savedTokenizer = join(o.out, 'tokenizer.json')
  const reuse = ck && o.tokenizer?.startsWith('bpe:') && existsSync(savedTokenizer)
  const spec = reuse ? savedTokenizer : o.tokenizer ?? (init && existsSync(join(o.init!, 'tokenizer.json')) ? o.init : hasText ? 'bytes' : undefined)
  const tokenizer = spec ? await resolveTokenizer(parseTokenizerSpec(spec), () => textDocuments(files), () => files.filter((f) => f.kind !== 'tokens').map((f) => f.path)) : undefined
  const stream = loadTokenStream(files, tokenizer?.tokenizer, tokenizer?.identity ?? '', join(o.out, '.cache'))
  const { train, val } = splitTrainVal(stream.tokens, o.valFraction)
  const dataHash = createHash('sha256').update(new Uint8Array(stream.tokens.buffer, stream.tokens.byteOffset, stream.tokens.byteLength)).digest('hex')
  if (ck && ck.state.dataHash !== dataHash) {
    throw new LlmError('the data (or tokenizer) differs from the run being resumed', { where: '--data', hint: 'resume with the same data files, or start a new run' })
  }

  // one pass over the stream: the vocabulary check below, and the vocabulary of a tokenizer-less run
  const needed = maxTokenPlusOne(stream.tokens)
  const bos = tokenizer ? tokenizer.tokenizer.bosTokenId : init?.config.bosTokenId
  const eosRaw = tokenizer ? tokenizer.tokenizer.eosTokenId : init?.config.eosTokenId
  const eos = Array.isArray(eosRaw) ? eosRaw[0] : eosRaw
  const configJson = (ck?.state.extra?.configJson as Record<string, unknown> | undefined) ?? init?.configJson ?? newLlamaConfigJson({
    vocabSize: tokenizer ? tokenizer.tokenizer.vocabSize : needed,
    // resolveOptions fills the architecture for pretrain
    hiddenSize: o.dim!, intermediateSize: o.hidden!, numLayers: o.layers!, numHeads: o.heads!, numKvHeads: o.kvHeads!,
    maxPositionEmbeddings: o.seqLen, tieWordEmbeddings: o.tie!, bosTokenId: bos, eosTokenId: eos,
  })
  const config = readModelConfig(configJson, init ? join(o.init!, 'config.json') : 'config.json')
  if (needed > config.vocabSize) {
    throw new LlmError(`the data has token id ${needed - 1} but the model's vocabulary is ${config.vocabSize}`, { where: o.data.join(', '), hint: 'use the tokenizer the model was made for' })
  }
  const trainable = paramSpecs(config)
  const params = ck?.params ?? (init ? new Map(trainable.map((s) => [s.name, init.float32(s.name)])) : initParams(config, o.seed))

  const sampler = new BatchSampler(train, o.batchSize, o.seqLen, o.order, (ck?.state.sampler as SamplerState | undefined) ?? BatchSampler.initialState(o.seed))
  const canValidate = val.length > o.seqLen
  const validation = []
  if (canValidate) {
    const vs = new BatchSampler(val, o.batchSize, o.seqLen, 'random', { rng: Rng.fromSeed(o.seed ^ VAL_SEED_SALT).state, microBatch: 0 }, 'validation data')
    for (let i = 0; i < o.evalSteps; i++) validation.push(vs.next())
  }
  const nParams = [...params.values()].reduce((n, a) => n + a.length, 0)
  const notes = [
    ...(ck ? [`resuming ${o.out} at step ${ck.state.step} of ${o.steps}`] : []),
    ...(stream.cached ? ['tokenized data: from cache'] : []),
    `model: ${(nParams / 1e6).toFixed(2)}M parameters, ${config.family}${init ? ' from --init' : ''}, ${config.numLayers} layers, dim ${config.hiddenSize}, vocab ${config.vocabSize}; data: ${train.length} train / ${val.length} val tokens`,
  ]
  const generationConfig = { ...(bos !== undefined ? { bos_token_id: bos } : {}), ...(eos !== undefined ? { eos_token_id: eos } : {}), do_sample: true, temperature: 0.8, top_k: 200 }
  const tok = tokenizer
  return {
    kind: 'pretrain', options: o, config, trainable, params, packed: false,
    optimizer: ck?.optimizer, startStep: ck?.state.step ?? 0, wallSeconds: ck?.state.wallSeconds ?? 0, metricsLines: ck?.metricsLines ?? [],
    train: sampler, validation,
    validationNote: val.length > 0 && !canValidate ? `validation skipped: ${val.length} held-out tokens, fewer than --seq-len + 1` : undefined,
    dataHash, notes, extra: { configJson },
    writeOutputs(dir, _params, weightsFile) {
      writeFileAtomic(join(dir, 'config.json'), json(configJson))
      writeFileAtomic(join(dir, 'generation_config.json'), json(generationConfig))
      if (tok?.hfJson) writeFileAtomic(join(dir, 'tokenizer.json'), tok.hfJson)
      if (tok?.hfConfigJson) writeFileAtomic(join(dir, 'tokenizer_config.json'), tok.hfConfigJson)
      linkInto(weightsFile, join(dir, 'model.safetensors'))
      exportOnnx(dir)
    },
    async sample(current, tokens) {
      // prompt: the first tokens of the held-out text (the training text if none is held out)
      const src = val.length > 8 ? val : train
      const prompt = Array.from(src.subarray(0, Math.min(8, Math.max(1, o.seqLen >> 1))))
      const text = await greedySample(config, current, tok?.tokenizer, prompt, tokens)
      const shown = tok ? tok.tokenizer.decode(prompt) : prompt.join(' ')
      return `${JSON.stringify(shown)} → ${JSON.stringify(text)}`
    },
  }
}

/** the stored options decide the maths; only settings that cannot change past steps may differ */
export function resumedOptions(stored: TrainOptions, step: number, given: PartialOptions): TrainOptions {
  const options = { ...stored }
  for (const k of RESUMABLE_OVERRIDES) if (given[k] !== undefined) (options as unknown as Record<string, unknown>)[k] = given[k]
  if (options.steps <= step) {
    throw usageError(`the run is already at step ${step}`, { where: '--steps', hint: `pass --steps larger than ${step} to continue` })
  }
  return options
}
