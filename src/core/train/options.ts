import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { LlmError, fileError, usageError } from '../errors.js'

/**
 * Everything `llm pretrain` can be told, by flag or by `--config FILE.yaml` (keys = flag names,
 * e.g. `batch-size: 12`). Precedence: flag > config file > default. The resolved options are
 * stored in the checkpoint, so `--resume` continues with exactly the same settings.
 */
export interface TrainOptions {
  data: string[]
  out: string
  tokenizer?: string
  init?: string
  // architecture (ignored with --init: the folder's config.json decides)
  layers: number
  dim: number
  heads: number
  kvHeads: number
  hidden: number
  seqLen: number
  tie: boolean
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
}

type Kind = 'int' | 'float' | 'bool' | 'string' | 'strings'
interface Field { key: keyof TrainOptions; kind: Kind; choices?: readonly string[]; min?: number; max?: number; help: string }

/** flag name → field. The single list of what pretrain accepts (flags, YAML keys, checks). */
export const FIELDS: Record<string, Field> = {
  data: { key: 'data', kind: 'strings', help: 'training data: text, JSONL ({"text": …} per line) or llm.c token files' },
  out: { key: 'out', kind: 'string', help: 'output folder (a Hugging Face model folder plus run state)' },
  tokenizer: { key: 'tokenizer', kind: 'string', help: 'PATH (tokenizer.json / model folder), bytes, char, or bpe:N to train one [default: the --init folder\'s, else bytes]' },
  init: { key: 'init', kind: 'string', help: 'start from a Hugging Face folder (config.json + safetensors) of any supported family: llama, mistral, qwen2, phi3, gemma' },
  layers: { key: 'layers', kind: 'int', min: 1, help: 'transformer blocks [default: 4]' },
  dim: { key: 'dim', kind: 'int', min: 1, help: 'hidden size [default: 128]' },
  heads: { key: 'heads', kind: 'int', min: 1, help: 'attention heads [default: 4]' },
  'kv-heads': { key: 'kvHeads', kind: 'int', min: 1, help: 'key/value heads (grouped-query attention) [default: --heads]' },
  hidden: { key: 'hidden', kind: 'int', min: 1, help: 'MLP (SwiGLU) width [default: 8/3·dim rounded up to 32]' },
  'seq-len': { key: 'seqLen', kind: 'int', min: 1, help: 'tokens per training window [default: 64]' },
  tie: { key: 'tie', kind: 'bool', help: 'tie the output head to the token embedding [default: false]' },
  'batch-size': { key: 'batchSize', kind: 'int', min: 1, help: 'windows per micro-batch [default: 12]' },
  'grad-accum': { key: 'gradAccum', kind: 'int', min: 1, help: 'micro-batches per optimisation step [default: 1]' },
  steps: { key: 'steps', kind: 'int', min: 1, help: 'optimisation steps (with --resume: continue up to this many) [default: 1000]' },
  lr: { key: 'lr', kind: 'float', min: 0, help: 'peak learning rate [default: 1e-3]' },
  'min-lr': { key: 'minLr', kind: 'float', min: 0, help: 'final learning rate of the cosine schedule [default: lr/10]' },
  warmup: { key: 'warmup', kind: 'int', min: 0, help: 'linear warm-up steps [default: min(100, steps/10)]' },
  schedule: { key: 'schedule', kind: 'string', choices: ['cosine', 'constant'], help: 'learning-rate schedule after warm-up [default: cosine]' },
  beta1: { key: 'beta1', kind: 'float', min: 0, max: 1, help: 'AdamW β1 [default: 0.9]' },
  beta2: { key: 'beta2', kind: 'float', min: 0, max: 1, help: 'AdamW β2 [default: 0.95]' },
  'adam-eps': { key: 'adamEps', kind: 'float', min: 0, help: 'AdamW ε [default: 1e-8]' },
  'weight-decay': { key: 'weightDecay', kind: 'float', min: 0, help: 'AdamW decoupled weight decay, on matrices only [default: 0.1]' },
  'grad-clip': { key: 'gradClip', kind: 'float', min: 0, help: 'clip the global gradient norm to this (0 = off) [default: 1]' },
  seed: { key: 'seed', kind: 'int', min: 0, help: 'seed for initialisation and batch order [default: 1337]' },
  order: { key: 'order', kind: 'string', choices: ['random', 'sequential'], help: 'batch order: random windows, or consecutive windows [default: random]' },
  'val-fraction': { key: 'valFraction', kind: 'float', min: 0, max: 0.9, help: 'share of the token stream (its end) held out for validation [default: 0.1]' },
  'eval-every': { key: 'evalEvery', kind: 'int', min: 0, help: 'validate every N steps (0 = only at the end) [default: 250]' },
  'eval-steps': { key: 'evalSteps', kind: 'int', min: 1, help: 'batches per validation [default: 20]' },
  'sample-every': { key: 'sampleEvery', kind: 'int', min: 0, help: 'print a short greedy sample every N steps (0 = never) [default: 0]' },
  'checkpoint-every': { key: 'checkpointEvery', kind: 'int', min: 0, help: 'save every N steps (0 = only at the end) [default: 250]' },
  device: { key: 'device', kind: 'string', help: 'execution device (cpu, cuda, …) [default: cpu]' },
  threads: { key: 'threads', kind: 'int', min: 1, help: 'intra-op threads [default: all cores]' },
}

/** settings a resumed run may change: they do not touch the maths of the steps already taken */
export const RESUMABLE_OVERRIDES: readonly (keyof TrainOptions)[] = ['steps', 'evalEvery', 'evalSteps', 'sampleEvery', 'checkpointEvery', 'device', 'threads']

export type PartialOptions = Partial<TrainOptions>

/** Read `--config FILE.yaml` into partial options, checking every key and value. */
export function readConfigFile(path: string): PartialOptions {
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
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const f = FIELDS[name]
    if (!f) throw new LlmError(`unknown key '${name}'`, { where: path, hint: `keys are pretrain's flag names: ${Object.keys(FIELDS).join(', ')}` })
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
export function checkFlags(flags: PartialOptions): PartialOptions {
  for (const [name, f] of Object.entries(FIELDS)) {
    const v = flags[f.key]
    if (v !== undefined) checkValue(name, f, v, `--${name}`)
  }
  return flags
}

/** Fill defaults (nanoGPT-sized small-model settings) into config < flags. */
export function resolveOptions(config: PartialOptions, flags: PartialOptions): TrainOptions {
  const o: PartialOptions = { ...config }
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (o as Record<string, unknown>)[k] = v
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
  if (r.dim % r.heads !== 0) throw usageError(`--dim ${r.dim} is not divisible by --heads ${r.heads}`, { where: '--heads' })
  if ((r.dim / r.heads) % 2 !== 0) throw usageError(`head size ${r.dim / r.heads} is odd; rotary embeddings need an even head size`, { where: '--heads' })
  if (r.heads % r.kvHeads !== 0) throw usageError(`--heads ${r.heads} is not a multiple of --kv-heads ${r.kvHeads}`, { where: '--kv-heads' })
  return r
}
