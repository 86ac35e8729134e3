import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { LlmError, fileError, usageError } from '../errors.js'

/**
 * Everything `llm pretrain` and `llm finetune` can be told, by flag or by `--config FILE.yaml`
 * (keys = flag names, e.g. `batch-size: 12`). Precedence: flag > config file > default. The two
 * commands share the training flags (one table, FIELDS); each has its own few and its own
 * defaults. The resolved options are stored in the checkpoint, so `--resume` continues with
 * exactly the same settings.
 */
export type TrainCommand = 'pretrain' | 'finetune'

export interface TrainOptions {
  data: string[]
  out: string
  tokenizer?: string
  init?: string
  // pretrain's architecture (ignored with --init: the folder's config.json decides)
  layers?: number
  dim?: number
  heads?: number
  kvHeads?: number
  hidden?: number
  tie?: boolean
  seqLen: number
  // optimisation
  batchSize: number
  gradAccum: number
  steps: number
  lr: number
  minLr: number
  warmup: number
  schedule: 'cosine' | 'constant'
  beta1: number
  beta2: number
  adamEps: number
  weightDecay: number
  gradClip: number
  seed: number
  order: 'random' | 'sequential'
  // evaluation and saving
  valFraction: number
  evalEvery: number
  evalSteps: number
  sampleEvery: number
  checkpointEvery: number
  // where it runs (not part of the maths; may change on --resume)
  device?: string
  threads?: number
  // finetune only
  model?: string
  adapter?: string
  method?: 'lora' | 'full'
  format?: DataFormat
  epochs?: number
  loraR?: number
  loraAlpha?: number
  loraDropout?: number
  loraTargets?: string
  rslora?: boolean
  packing?: boolean
  trainOn?: 'outputs' | 'inputs' | 'all'
  onOverflow?: 'error' | 'truncate' | 'drop'
  skipEmpty?: boolean
}

export const DATA_FORMATS = ['auto', 'alpaca', 'messages', 'sharegpt', 'prompt-completion', 'text', 'tokenized'] as const
export type DataFormat = (typeof DATA_FORMATS)[number]

type Kind = 'int' | 'float' | 'bool' | 'string' | 'strings'
interface Field {
  key: keyof TrainOptions
  kind: Kind
  choices?: readonly string[]
  min?: number
  max?: number
  help: string
  /** the command that has it (default: both) */
  only?: TrainCommand
  /** help text per command where the defaults differ */
  helpFor?: Partial<Record<TrainCommand, string>>
}

/** flag name → field. The single list of what pretrain accepts (flags, YAML keys, checks). */
export const FIELDS: Record<string, Field> = {
  data: { key: 'data', kind: 'strings', help: 'training data', helpFor: { pretrain: 'training data: text, JSONL ({"text": …} per line) or llm.c token files', finetune: 'training data: JSONL or JSON arrays of records (see --format)' } },
  out: { key: 'out', kind: 'string', help: 'output folder (a Hugging Face model folder, or a PEFT adapter, plus run state)' },
  tokenizer: { only: 'pretrain', key: 'tokenizer', kind: 'string', help: 'PATH (tokenizer.json / model folder), bytes, char, or bpe:N to train one [default: the --init folder\'s, else bytes]' },
  init: { only: 'pretrain', key: 'init', kind: 'string', help: 'start from a Hugging Face folder (config.json + safetensors) of any supported family: llama, mistral, qwen2, phi3, gemma' },
  layers: { only: 'pretrain', key: 'layers', kind: 'int', min: 1, help: 'transformer blocks [default: 4]' },
  dim: { only: 'pretrain', key: 'dim', kind: 'int', min: 1, help: 'hidden size [default: 128]' },
  heads: { only: 'pretrain', key: 'heads', kind: 'int', min: 1, help: 'attention heads [default: 4]' },
  'kv-heads': { only: 'pretrain', key: 'kvHeads', kind: 'int', min: 1, help: 'key/value heads (grouped-query attention) [default: --heads]' },
  hidden: { only: 'pretrain', key: 'hidden', kind: 'int', min: 1, help: 'MLP (SwiGLU) width [default: 8/3·dim rounded up to 32]' },
  'seq-len': { key: 'seqLen', kind: 'int', min: 1, help: 'tokens per row', helpFor: { pretrain: 'tokens per training window [default: 64]', finetune: 'tokens per row (packed samples, or one padded sample) [default: min(1024, the model\'s context)]' } },
  tie: { only: 'pretrain', key: 'tie', kind: 'bool', help: 'tie the output head to the token embedding [default: false]' },
  'batch-size': { key: 'batchSize', kind: 'int', min: 1, help: 'rows per micro-batch', helpFor: { pretrain: 'windows per micro-batch [default: 12]', finetune: 'rows per micro-batch [default: 4]' } },
  'grad-accum': { key: 'gradAccum', kind: 'int', min: 1, help: 'micro-batches per optimisation step [default: 1]' },
  steps: { key: 'steps', kind: 'int', min: 1, help: 'optimisation steps (with --resume: continue up to this many)', helpFor: { pretrain: 'optimisation steps (with --resume: continue up to this many) [default: 1000]', finetune: 'optimisation steps (with --resume: continue up to this many) [default: from --epochs]' } },
  lr: { key: 'lr', kind: 'float', min: 0, help: 'peak learning rate', helpFor: { pretrain: 'peak learning rate [default: 1e-3]', finetune: 'peak learning rate [default: 2e-4 with LoRA, 2e-5 full]' } },
  'min-lr': { key: 'minLr', kind: 'float', min: 0, help: 'final learning rate of the cosine schedule [default: lr/10]' },
  warmup: { key: 'warmup', kind: 'int', min: 0, help: 'linear warm-up steps', helpFor: { pretrain: 'linear warm-up steps [default: min(100, steps/10)]', finetune: 'linear warm-up steps [default: 3% of the steps]' } },
  schedule: { key: 'schedule', kind: 'string', choices: ['cosine', 'constant'], help: 'learning-rate schedule after warm-up [default: cosine]' },
  beta1: { key: 'beta1', kind: 'float', min: 0, max: 1, help: 'AdamW β1 [default: 0.9]' },
  beta2: { key: 'beta2', kind: 'float', min: 0, max: 1, help: 'AdamW β2', helpFor: { pretrain: 'AdamW β2 [default: 0.95]', finetune: 'AdamW β2 [default: 0.999]' } },
  'adam-eps': { key: 'adamEps', kind: 'float', min: 0, help: 'AdamW ε [default: 1e-8]' },
  'weight-decay': { key: 'weightDecay', kind: 'float', min: 0, help: 'AdamW decoupled weight decay, on matrices only', helpFor: { pretrain: 'AdamW decoupled weight decay, on matrices only [default: 0.1]', finetune: 'AdamW decoupled weight decay, on matrices (every LoRA tensor) [default: 0]' } },
  'grad-clip': { key: 'gradClip', kind: 'float', min: 0, help: 'clip the global gradient norm to this (0 = off) [default: 1]' },
  seed: { key: 'seed', kind: 'int', min: 0, help: 'seed for initialisation and batch order [default: 1337]' },
  order: { key: 'order', kind: 'string', choices: ['random', 'sequential'], help: 'batch order', helpFor: { pretrain: 'batch order: random windows, or consecutive windows [default: random]', finetune: 'sample order: shuffled each epoch, or as in the files [default: random]' } },
  'val-fraction': { key: 'valFraction', kind: 'float', min: 0, max: 0.9, help: 'share held out for validation', helpFor: { pretrain: 'share of the token stream (its end) held out for validation [default: 0.1]', finetune: 'share of the samples (a seeded random pick) held out for validation [default: 0.05]' } },
  'eval-every': { key: 'evalEvery', kind: 'int', min: 0, help: 'validate every N steps (0 = only at the end)', helpFor: { pretrain: 'validate every N steps (0 = only at the end) [default: 250]', finetune: 'validate every N steps (0 = only at the end) [default: 100]' } },
  'eval-steps': { key: 'evalSteps', kind: 'int', min: 1, help: 'batches per validation [default: 20]' },
  'sample-every': { only: 'pretrain', key: 'sampleEvery', kind: 'int', min: 0, help: 'print a short greedy sample every N steps (0 = never) [default: 0]' },
  'checkpoint-every': { key: 'checkpointEvery', kind: 'int', min: 0, help: 'save every N steps (0 = only at the end)', helpFor: { pretrain: 'save every N steps (0 = only at the end) [default: 250]', finetune: 'save every N steps (0 = only at the end) [default: 100]' } },
  device: { key: 'device', kind: 'string', help: 'execution device (cpu, cuda, …) [default: cpu]' },
  threads: { key: 'threads', kind: 'int', min: 1, help: 'intra-op threads [default: all cores]' },
  model: { only: 'finetune', key: 'model', kind: 'string', help: 'the base: a Hugging Face folder (config.json + safetensors) or a store name' },
  adapter: { only: 'finetune', key: 'adapter', kind: 'string', help: 'continue training this PEFT LoRA adapter (its r, alpha and targets apply)' },
  method: { only: 'finetune', key: 'method', kind: 'string', choices: ['lora', 'full'], help: 'LoRA adapters on a frozen base, or every weight [default: lora]' },
  format: { only: 'finetune', key: 'format', kind: 'string', choices: DATA_FORMATS, help: 'record format; auto detects it per file and says what it found [default: auto]' },
  epochs: { only: 'finetune', key: 'epochs', kind: 'int', min: 1, help: 'passes over the training samples when --steps is not given [default: 3]' },
  'lora-r': { only: 'finetune', key: 'loraR', kind: 'int', min: 1, help: 'LoRA rank [default: 8]' },
  'lora-alpha': { only: 'finetune', key: 'loraAlpha', kind: 'int', min: 1, help: 'LoRA alpha; scaling = alpha / r (alpha / √r with --rslora) [default: 16]' },
  'lora-dropout': { only: 'finetune', key: 'loraDropout', kind: 'float', min: 0, max: 0, help: 'LoRA dropout (only 0 is implemented) [default: 0]' },
  'lora-targets': { only: 'finetune', key: 'loraTargets', kind: 'string', help: 'modules to adapt: names (q_proj,v_proj,…) or all-linear [default: PEFT\'s per family, e.g. q_proj,v_proj; qkv_proj for phi3]' },
  rslora: { only: 'finetune', key: 'rslora', kind: 'bool', help: 'rank-stabilised LoRA scaling alpha / √r [default: false]' },
  packing: { only: 'finetune', key: 'packing', kind: 'bool', help: 'pack several samples per row (block-diagonal attention, positions restart per sample); --no-packing pads each row to its batch\'s longest [default: true]' },
  'train-on': { only: 'finetune', key: 'trainOn', kind: 'string', choices: ['outputs', 'inputs', 'all'], help: 'which tokens the loss covers: assistant turns / completions, everything but system prompts, or every token [default: outputs]' },
  'on-overflow': { only: 'finetune', key: 'onOverflow', kind: 'string', choices: ['error', 'truncate', 'drop'], help: 'a sample longer than --seq-len: stop naming it, cut it, or leave it out [default: error]' },
  'skip-empty': { only: 'finetune', key: 'skipEmpty', kind: 'bool', help: 'leave out samples with no trained token instead of stopping [default: false]' },
}

/** The fields of one command, by flag name, with that command's help text. */
export function fieldsFor(command: TrainCommand): Record<string, Field> {
  const out: Record<string, Field> = {}
  for (const [name, f] of Object.entries(FIELDS)) {
    if (f.only && f.only !== command) continue
    out[name] = { ...f, help: f.helpFor?.[command] ?? f.help }
  }
  return out
}

/** settings a resumed run may change: they do not touch the maths of the steps already taken */
export const RESUMABLE_OVERRIDES: readonly (keyof TrainOptions)[] = ['steps', 'evalEvery', 'evalSteps', 'sampleEvery', 'checkpointEvery', 'device', 'threads']

/** option keys that do not change the maths (may differ on --resume) */

export type PartialOptions = Partial<TrainOptions>

/** Read `--config FILE.yaml` into partial options, checking every key and value. */
export function readConfigFile(path: string, command: TrainCommand = 'pretrain'): PartialOptions {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw fileError(path, e, 'cannot read config file')
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new LlmError(`not valid YAML: ${(e as Error).message.split('\n')[0]}`, { where: path, hint: 'keys are the flag names, e.g. "batch-size: 12"' })
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new LlmError('expected a mapping of flag names to values', { where: path })
  const out: PartialOptions = {}
  const fields = fieldsFor(command)
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const f = fields[name]
    if (!f) throw new LlmError(`unknown key '${name}'`, { where: path, hint: `keys are ${command}'s flag names: ${Object.keys(fields).join(', ')}` })
    ;(out as Record<string, unknown>)[f.key] = checkValue(name, f, f.kind === 'strings' && typeof value === 'string' ? [value] : value, path)
  }
  return out
}

function checkValue(name: string, f: Field, v: unknown, where: string): unknown {
  const bad = (what: string) => new LlmError(`'${name}' ${what}`, { where, hint: f.help, exitCode: 2 })
  switch (f.kind) {
    case 'int':
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`must be a number, got ${JSON.stringify(v)}`)
      if (f.kind === 'int' && !Number.isInteger(v)) throw bad(`must be a whole number, got ${v}`)
      if (f.min !== undefined && v < f.min) throw bad(`must be >= ${f.min}, got ${v}`)
      if (f.max !== undefined && v > f.max) throw bad(`must be <= ${f.max}, got ${v}`)
      return v
    }
    case 'bool':
      if (typeof v !== 'boolean') throw bad(`must be true or false, got ${JSON.stringify(v)}`)
      return v
    case 'string':
      if (typeof v !== 'string') throw bad(`must be a string, got ${JSON.stringify(v)}`)
      if (f.choices && !f.choices.includes(v)) throw bad(`must be one of ${f.choices.join(', ')}, got '${v}'`)
      return v
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad('must be a list of paths')
      return v
  }
}

/** Check flag values (already typed by oclif) with the same rules as config keys. */
export function checkFlags(flags: PartialOptions, command: TrainCommand = 'pretrain'): PartialOptions {
  for (const [name, f] of Object.entries(fieldsFor(command))) {
    const v = flags[f.key]
    if (v !== undefined) checkValue(name, f, v, `--${name}`)
  }
  return flags
}

function merged(config: PartialOptions, flags: PartialOptions): PartialOptions {
  const o: PartialOptions = { ...config }
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (o as Record<string, unknown>)[k] = v
  return o
}

/** Fill pretrain's defaults (nanoGPT-sized small-model settings) into config < flags. */
export function resolveOptions(config: PartialOptions, flags: PartialOptions): TrainOptions {
  const o = merged(config, flags)
  if (!o.data || o.data.length === 0) throw usageError('no training data', { where: '--data', hint: 'pass --data FILE (text, JSONL or llm.c tokens), or data: in --config' })
  if (!o.out) throw usageError('no output folder', { where: '--out', hint: 'pass --out DIR' })
  const dim = o.dim ?? 128
  const heads = o.heads ?? 4
  const steps = o.steps ?? 1000
  const lr = o.lr ?? 1e-3
  const r: TrainOptions = {
    data: o.data, out: o.out, tokenizer: o.tokenizer, init: o.init,
    layers: o.layers ?? 4, dim, heads, kvHeads: o.kvHeads ?? heads,
    hidden: o.hidden ?? Math.ceil((8 * dim) / 3 / 32) * 32,
    seqLen: o.seqLen ?? 64, tie: o.tie ?? false,
    batchSize: o.batchSize ?? 12, gradAccum: o.gradAccum ?? 1, steps, lr, minLr: o.minLr ?? lr / 10,
    warmup: o.warmup ?? Math.min(100, Math.floor(steps / 10)), schedule: o.schedule ?? 'cosine',
    beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.95, adamEps: o.adamEps ?? 1e-8, weightDecay: o.weightDecay ?? 0.1,
    gradClip: o.gradClip ?? 1, seed: o.seed ?? 1337, order: o.order ?? 'random',
    valFraction: o.valFraction ?? 0.1, evalEvery: o.evalEvery ?? 250, evalSteps: o.evalSteps ?? 20,
    sampleEvery: o.sampleEvery ?? 0, checkpointEvery: o.checkpointEvery ?? 250,
    device: o.device, threads: o.threads,
  }
  if (dim % heads !== 0) throw usageError(`--dim ${dim} is not divisible by --heads ${heads}`, { where: '--heads' })
  if ((dim / heads) % 2 !== 0) throw usageError(`head size ${dim / heads} is odd; rotary embeddings need an even head size`, { where: '--heads' })
  if (heads % r.kvHeads! !== 0) throw usageError(`--heads ${heads} is not a multiple of --kv-heads ${r.kvHeads}`, { where: '--kv-heads' })
  return r
}

/**
 * Fill finetune's defaults (Hugging Face Trainer / PEFT conventions) into config < flags. Steps
 * and warm-up may depend on the data (--epochs, 3% warm-up): they are left undefined here and
 * fixed by the job once the samples are counted (finetune/job.ts).
 */
export type FinetuneOptions = Omit<TrainOptions, 'steps' | 'warmup' | 'minLr' | 'seqLen'> & Partial<Pick<TrainOptions, 'steps' | 'warmup' | 'minLr' | 'seqLen'>>

export function resolveFinetuneOptions(config: PartialOptions, flags: PartialOptions): FinetuneOptions {
  const o = merged(config, flags)
  if (!o.model) throw usageError('no base model', { where: '--model', hint: 'pass --model DIR (a Hugging Face folder) or a store name' })
  if (!o.data || o.data.length === 0) throw usageError('no training data', { where: '--data', hint: 'pass --data FILE.jsonl (see --format)' })
  if (!o.out) throw usageError('no output folder', { where: '--out', hint: 'pass --out DIR' })
  const method = o.method ?? 'lora'
  if (method === 'full' && (o.adapter || o.loraR !== undefined || o.loraTargets !== undefined || o.rslora)) {
    throw usageError('LoRA options do not apply to --method full', { where: o.adapter ? '--adapter' : o.loraR !== undefined ? '--lora-r' : o.loraTargets !== undefined ? '--lora-targets' : '--rslora' })
  }
  return {
    ...o, data: o.data, out: o.out, model: o.model, method, format: o.format ?? 'auto',
    batchSize: o.batchSize ?? 4, gradAccum: o.gradAccum ?? 1, lr: o.lr ?? (method === 'lora' ? 2e-4 : 2e-5),
    schedule: o.schedule ?? 'cosine', beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, adamEps: o.adamEps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0, gradClip: o.gradClip ?? 1, seed: o.seed ?? 1337, order: o.order ?? 'random',
    valFraction: o.valFraction ?? 0.05, evalEvery: o.evalEvery ?? 100, evalSteps: o.evalSteps ?? 20,
    sampleEvery: 0, checkpointEvery: o.checkpointEvery ?? 100,
    epochs: o.epochs ?? 3, loraR: o.loraR ?? 8, loraAlpha: o.loraAlpha ?? 16, loraDropout: o.loraDropout ?? 0, rslora: o.rslora ?? false,
    packing: o.packing ?? true, trainOn: o.trainOn ?? 'outputs', onOverflow: o.onOverflow ?? 'error', skipEmpty: o.skipEmpty ?? false,
  }
}

/** Fix what depends on the data: steps from --epochs, a 3% warm-up, cosine down to 0 (Trainer's). */
export function resolvedFinetune(o: FinetuneOptions, seqLen: number, rowsPerEpoch: number): TrainOptions {
  const steps = o.steps ?? Math.max(1, Math.ceil((o.epochs! * rowsPerEpoch) / (o.batchSize * o.gradAccum)))
  return { ...o, seqLen, steps, warmup: o.warmup ?? Math.ceil(0.03 * steps), minLr: o.minLr ?? 0 }
}
