import { Flags } from './oclif.js'
import { usageError } from '../core/errors.js'

/**
 * Number flags: one parser and one error text for every command
 * (`--top-p: expected a number in (0, 1], got '2'`, `--limit: expected a whole number >= 1, got '0'`).
 * The range is part of the flag's declaration; a range that needs more than one flag (kv-heads
 * divides heads, …) is checked by the command's core.
 */
export type NumberRange = {
  /** whole numbers only */
  int?: boolean
  /** lower bound, inclusive */
  min?: number
  /** lower bound, exclusive */
  above?: number
  /** upper bound, inclusive */
  max?: number
}

/** 'a whole number >= 1', 'a number in (0, 1]', 'a number > 0', 'a number' */
export function describeRange(r: NumberRange): string {
  const what = r.int ? 'a whole number' : 'a number'
  const low = r.above !== undefined ? { v: r.above, open: true } : r.min !== undefined ? { v: r.min, open: false } : undefined
  if (low && r.max !== undefined) return `${what} in ${low.open ? '(' : '['}${low.v}, ${r.max}]`
  if (low) return `${what} ${low.open ? '>' : '>='} ${low.v}`
  if (r.max !== undefined) return `${what} <= ${r.max}`
  return what
}

/** a decimal number as people write one: 3, -1, 0.25, .5, 3e-4 (not hex, binary or '') */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** Parse `--NAME INPUT` as a finite number in range; the usage error names the flag. */
export function parseNumber(name: string, input: string, r: NumberRange = {}): number {
  const x = Number(input)
  const ok = DECIMAL.test(input.trim()) && Number.isFinite(x) && (!r.int || Number.isInteger(x)) &&
    (r.min === undefined || x >= r.min) && (r.above === undefined || x > r.above) && (r.max === undefined || x <= r.max)
  if (!ok) throw usageError(`expected ${describeRange(r)}, got '${input}'`, { where: `--${name}`, hint: 'see --help' })
  return x
}

/**
 * Number flags with their range, parsed by parseNumber (the error names the flag and the range):
 *   intFlag({ description: '…', min: 1, default: 1 })    floatFlag({ description: '…', above: 0, max: 1 })
 * (the range fields are oclif custom-flag options, handed to parse).
 */
export const intFlag = Flags.custom<number, NumberRange>({ parse: async (input, _ctx, o) => parseNumber(o.name, input, { ...o, int: true }) })
export const floatFlag = Flags.custom<number, NumberRange>({ parse: async (input, _ctx, o) => parseNumber(o.name, input, { ...o, int: false }) })

/** The sampling flags that take a number, with the range each accepts (shared by generate and chat). */
const SAMPLING: Record<string, NumberRange> = {
  temperature: { min: 0 },
  'top-p': { above: 0, max: 1 },
  'min-p': { min: 0, max: 1 },
  'repeat-penalty': { above: 0 },
  'presence-penalty': {},
  'frequency-penalty': {},
}
export type SamplingFlagName = 'temperature' | 'top-p' | 'min-p' | 'repeat-penalty' | 'presence-penalty' | 'frequency-penalty'

/** `--temperature` etc. with their ranges, as generate and chat both declare them. */
export const samplingFlag = (name: SamplingFlagName, description: string) => floatFlag({ description, ...SAMPLING[name] })

/** `--progress`, as every long-running command has it (see createProgress). */
export const progressFlag = () =>
  Flags.option({ options: ['auto', 'bar', 'jsonl', 'none'] as const, description: 'progress on stderr', default: 'auto' })()

/** `--device` and `--threads`: every command that runs a model through onnxruntime (embedders too). */
export const deviceFlags = () => ({
  device: Flags.string({ description: 'cpu, cuda, webgpu, dml, coreml or auto', default: 'cpu' }),
  threads: intFlag({ description: 'CPU threads for onnxruntime (default: all cores)', min: 1 }),
})

/** deviceFlags plus `--adapter` and `--dtype`: the commands that load a generating model (core/model/load.ts). */
export const runtimeFlags = () => ({
  ...deviceFlags(),
  adapter: Flags.string({ description: 'a PEFT LoRA adapter to run on top of the model (merged into its safetensors in memory)' }),
  dtype: Flags.option({ options: ['fp32', 'fp16', 'int8', 'q4'] as const, description: 'which ONNX file of the folder to run: onnx/model.onnx, model_fp16, model_int8 or model_q4 (as transformers.js names them; default: the first one present, fp32 first)' })(),
})

/**
 * generate's sampling flags (`-n`, `--temperature`, `--top-k`, `--top-p`, `--min-p`,
 * `--repeat-penalty`, `--seed`) for other commands that generate (ask), and the sampling
 * parameters they give.
 */
export const samplingFlags = () => ({
  'max-tokens': intFlag({ char: 'n', description: 'most new tokens', min: 1 }),
  temperature: samplingFlag('temperature', 'sampling temperature; 0 = greedy'),
  'top-k': intFlag({ description: 'keep the K most likely tokens (0 = off)', min: 0 }),
  'top-p': samplingFlag('top-p', 'nucleus: keep the top tokens holding this probability mass (1 = off)'),
  'min-p': samplingFlag('min-p', 'drop tokens less likely than MIN_P x the top one (0 = off)'),
  'repeat-penalty': samplingFlag('repeat-penalty', 'divide positive / multiply negative logits of the last 64 tokens (1 = off)'),
  seed: intFlag({ description: 'sampling seed: the same seed gives the same text (default: random)', min: 0 }),
})

export function samplingFromFlags(f: { temperature?: number; 'top-k'?: number; 'top-p'?: number; 'min-p'?: number; 'repeat-penalty'?: number; seed?: number }) {
  return { temperature: f.temperature, topK: f['top-k'], topP: f['top-p'], minP: f['min-p'], repeatPenalty: f['repeat-penalty'], seed: f.seed }
}
