/**
 * `llm finetune` as a TrainJob: a base checkpoint of any supported family, records in the
 * ecosystem's formats turned into packed (or padded) rows with an assistant-only loss by
 * default, and either LoRA adapters on the frozen base (written as a PEFT adapter) or every
 * weight (written as a full Hugging Face folder).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../../atomic.js'
import { LlmError, usageError } from '../../errors.js'
import { Checkpoint } from '../../model/checkpoint.js'
import { readModelFolder } from '../../model/folder.js'
import { resolveModel } from '../../model/resolve.js'
import { Rng } from '../../rng.js'
import { exportOnnx } from '../../convert/onnx.js'
import { loadTokenizer } from '../../../tokenizer/load.js'
import type { Tokenizer } from '../../../tokenizer/types.js'
import { paramSpecs } from '../../../kernels/model/index.js'
import { hasCheckpoint, linkInto, loadCheckpoint } from '../checkpoint.js'
import type { TrainJob } from '../job.js'
import { resolvedFinetune, type FinetuneOptions, type PartialOptions, type TrainOptions } from '../options.js'
import { resumedOptions } from '../pretrain.js'
import { encodeSample, trainedCount, type Encoded } from './encode.js'
import { initLora, loraModules, loraSetup, loraSpecs, readAdapter, writeAdapter, type LoraSetup } from '../../model/lora.js'
import { readSamples } from './records.js'
import { RowSource, fixedBatches, rowsPerEpoch, type RowsState } from './rows.js'

/** files of the base folder a full fine-tune or an adapter folder carries along */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'tokenizer.model']

export interface PreparedData {
  dir: string
  base: Checkpoint
  /** --seq-len, default min(1024, the model's context) */
  seqLen: number
  tokenizer?: Tokenizer
  train: Encoded[]
  val: Encoded[]
  padId: number
  notes: string[]
  stats: { files: { file: string; format: string; detected: boolean; samples: number }[]; samples: number; tokens: number; trained: number; truncated: number; dropped: number; skipped: number }
}

/** Read the base and the data, and encode every sample (what a run and --dry-run share). */
export function prepareData(o: FinetuneOptions): PreparedData {
  const { dir } = resolveModel(o.model)
  const base = Checkpoint.open(dir)
  const seqLen = o.seqLen ?? Math.min(1024, base.config.maxPositionEmbeddings)
  if (seqLen > base.config.maxPositionEmbeddings) throw usageError(`--seq-len ${seqLen} exceeds the model's context (max_position_embeddings ${base.config.maxPositionEmbeddings})`, { where: '--seq-len' })
  const folder = readModelFolder(dir)
  const tokenizer = existsSync(join(dir, 'tokenizer.json')) || existsSync(join(dir, 'tokenizer.model')) ? loadTokenizer(folder.tokenizerPath) : undefined
  const eosCfg = folder.eosTokenIds?.[0] ?? (typeof base.config.eosTokenId === 'number' ? base.config.eosTokenId : base.config.eosTokenId?.[0])
  const eosId = eosCfg ?? tokenizer?.eosTokenId
  const setup = {
    tokenizer, eosId, trainOn: o.trainOn!,
    chatTemplate: folder.chatTemplate ? { template: folder.chatTemplate, bosToken: folder.bosToken, eosToken: folder.eosToken, source: join(dir, 'tokenizer_config.json') } : undefined,
  }
  const stats: PreparedData['stats'] = { files: [], samples: 0, tokens: 0, trained: 0, truncated: 0, dropped: 0, skipped: 0 }
  const all: Encoded[] = []
  for (const file of o.data) {
    const f = readSamples(file, o.format!)
    stats.files.push({ file, format: f.format, detected: f.detected, samples: f.samples.length })
    for (const s of f.samples) {
      let e = encodeSample(s, setup)
      if (e.ids.length > seqLen) {
        if (o.onOverflow === 'error') throw new LlmError(`sample of ${e.ids.length} tokens is longer than --seq-len ${seqLen}`, { where: s.where, hint: 'raise --seq-len, or pass --on-overflow truncate|drop' })
        if (o.onOverflow === 'drop') { stats.dropped++; continue }
        e = { ...e, ids: e.ids.slice(0, seqLen), labels: e.labels.slice(0, seqLen) }
        stats.truncated++
      }
      for (const id of e.ids) if (!Number.isInteger(id) || id < 0 || id >= base.config.vocabSize) throw new LlmError(`token id ${id} is outside the model's vocabulary (${base.config.vocabSize})`, { where: s.where })
      const n = trainedCount(e)
      if (n === 0) {
        if (!o.skipEmpty) throw new LlmError('this sample has no trained token', { where: s.where, hint: `check --train-on ${o.trainOn} against the record, or pass --skip-empty` })
        stats.skipped++
        continue
      }
      stats.tokens += e.ids.length
      stats.trained += n
      all.push(e)
    }
  }
  if (all.length === 0) throw usageError('no sample left to train on', { where: o.data.join(', ') })
  stats.samples = all.length
  // a seeded random pick of samples is held out (data files are often sorted by source or length)
  const nVal = o.valFraction > 0 && all.length > 1 ? Math.max(1, Math.round(all.length * o.valFraction)) : 0
  const rng = Rng.fromSeed(o.seed ^ 0x5eed)
  const held = new Set<number>()
  while (held.size < nVal) held.add(rng.int(all.length))
  const notes = stats.files.map((f) => `${f.file}: ${f.samples} ${f.format} records${f.detected ? ' (detected)' : ''}`)
  if (stats.truncated || stats.dropped || stats.skipped) notes.push(`samples truncated ${stats.truncated}, dropped ${stats.dropped}, skipped (nothing trained) ${stats.skipped}`)
  return {
    dir, base, seqLen, tokenizer, notes, stats,
    train: all.filter((_, i) => !held.has(i)), val: all.filter((_, i) => held.has(i)),
    padId: tokenizer?.eosTokenId ?? eosId ?? 0,
  }
}

export async function finetuneJob(given: FinetuneOptions, resume: boolean, flags: PartialOptions): Promise<TrainJob> {
  const ck = resume ? loadCheckpoint(given.out) : undefined
  if (!resume && hasCheckpoint(given.out)) throw usageError('this folder already holds a training run', { where: given.out, hint: 'pass --resume to continue it, or choose another --out' })
  if (ck && ck.state.kind !== 'finetune') throw usageError(`this folder holds a ${ck.state.kind} run`, { where: given.out, hint: `continue it with llm ${ck.state.kind} --resume` })
  const requested: FinetuneOptions = ck ? resumedOptions(ck.state.options, ck.state.step, flags) : given
  const data = prepareData(requested)
  const { seqLen } = data
  const c = data.base.config
  const packed = requested.packing !== false
  const o = resolvedFinetune(requested, seqLen, rowsPerEpoch(data.train, seqLen, packed))
  const dataHash = hashSamples(data.train, o)
  if (ck && ck.state.dataHash !== dataHash) throw new LlmError('the data (or the way it is encoded) differs from the run being resumed', { where: '--data', hint: 'resume with the same data and base, or start a new run' })

  const baseWeights = new Map(paramSpecs(c).map((s) => [s.name, data.base.float32(s.name)]))
  let lora: LoraSetup | undefined
  let trainable = paramSpecs(c)
  let params = baseWeights
  let frozen: Map<string, Float32Array> | undefined
  if (o.method === 'lora') {
    const fromAdapter = o.adapter ? readAdapter(o.adapter, c) : undefined
    lora = fromAdapter?.setup ?? loraSetup(c, { r: o.loraR!, alpha: o.loraAlpha!, rslora: o.rslora!, targets: o.loraTargets })
    trainable = loraSpecs(c, lora)
    params = fromAdapter?.params ?? initLora(c, lora, o.seed)
    frozen = baseWeights
  }
  if (ck) params = ck.params
  const nTrain = trainable.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
  const nBase = [...baseWeights.values()].reduce((n, a) => n + a.length, 0)
  const validation = fixedBatches(data.val, o.batchSize, seqLen, packed, data.padId, o.evalSteps)
  const notes = [
    ...(ck ? [`resuming ${o.out} at step ${ck.state.step} of ${o.steps}`] : []),
    ...data.notes,
    `${data.train.length} train / ${data.val.length} validation samples, ${data.stats.tokens} tokens (${data.stats.trained} trained); ${o.steps} steps of ${o.batchSize}×${o.gradAccum} rows of ${seqLen}${packed ? ' (packed)' : ''}`,
    `model: ${c.family}, ${(nBase / 1e6).toFixed(2)}M parameters; training ${o.method === 'lora' ? `LoRA r=${lora!.r} alpha=${lora!.alpha} on ${lora!.targets.join(',')}: ${(nTrain / 1e6).toFixed(3)}M` : `all ${(nTrain / 1e6).toFixed(2)}M`} parameters`,
  ]
  const setup = lora
  return {
    kind: 'finetune', options: o, config: c, trainable, params, frozen, lora: setup ? loraModules(setup) : undefined, packed,
    optimizer: ck?.optimizer, startStep: ck?.state.step ?? 0, wallSeconds: ck?.state.wallSeconds ?? 0, metricsLines: ck?.metricsLines ?? [],
    train: new RowSource(data.train, o.batchSize, seqLen, packed, data.padId, o.seed, o.order === 'random', ck?.state.sampler as RowsState | undefined),
    validation, validationNote: data.val.length === 0 && o.valFraction > 0 ? 'validation skipped: too few samples to hold any out' : undefined,
    dataHash, notes,
    writeOutputs(out, current, weightsFile) {
      for (const f of TOKENIZER_FILES) if (existsSync(join(data.dir, f))) writeFileAtomic(join(out, f), readFileSync(join(data.dir, f)))
      if (setup) return writeAdapter(out, setup, c, current, o.model!)
      writeFileAtomic(join(out, 'config.json'), JSON.stringify(data.base.configJson, null, 2) + '\n')
      if (existsSync(join(data.dir, 'generation_config.json'))) writeFileAtomic(join(out, 'generation_config.json'), readFileSync(join(data.dir, 'generation_config.json')))
      linkInto(weightsFile, join(out, 'model.safetensors'))
      exportOnnx(out)
    },
  }
}

/** what the steps train on, as the loop's resume check sees it */
function hashSamples(samples: readonly Encoded[], o: TrainOptions): string {
  const h = createHash('sha256').update(`llm-finetune-v1\0${o.seqLen}\0${o.packing}\0`)
  for (const s of samples) h.update(Int32Array.from(s.ids)).update('\0').update(Int32Array.from(s.labels)).update('\n')
  return h.digest('hex')
}

