import { Flags } from '@oclif/core'
import { usageError } from '../core/errors.js'

/** The sampling flags that take a number, with the range each accepts (shared by generate and chat). */
const NUMBER_RULES = {
  temperature: [(x: number) => x >= 0, 'a number >= 0'],
  'top-p': [(x: number) => x > 0 && x <= 1, 'a number in (0, 1]'],
  'min-p': [(x: number) => x >= 0 && x <= 1, 'a number in [0, 1]'],
  'repeat-penalty': [(x: number) => x > 0, 'a number > 0'],
  'presence-penalty': [() => true, 'a number'],
  'frequency-penalty': [() => true, 'a number'],
} as const satisfies Record<string, readonly [(x: number) => boolean, string]>

export type NumberFlagName = keyof typeof NUMBER_RULES

/** Parse `--NAME INPUT` as a finite number in NAME's range; the usage error names the flag. */
export function parseNumberFlag(name: NumberFlagName, input: string): number {
  const [ok, rule] = NUMBER_RULES[name]
  const x = Number(input)
  if (input.trim() === '' || !Number.isFinite(x) || !ok(x)) throw usageError(`expected ${rule}, got '${input}'`, { where: `--${name}` })
  return x
}

/** `--progress`, as every long-running command has it (see createProgress). */
export const progressFlag = () =>
  Flags.option({ options: ['auto', 'bar', 'jsonl', 'none'] as const, description: 'progress on stderr', default: 'auto' })()

/** `--device`, `--threads` and `--adapter`, for the commands that run a model through onnxruntime. */
export const runtimeFlags = () => ({
  device: Flags.string({ description: 'cpu, cuda, webgpu, dml, coreml or auto', default: 'cpu' }),
  threads: Flags.integer({ description: 'CPU threads for onnxruntime (default: all cores)', min: 1 }),
  adapter: Flags.string({ description: 'a PEFT LoRA adapter to run on top of the model (merged into its safetensors in memory)' }),
})

/**
 * generate's sampling flags (`-n`, `--temperature`, `--top-k`, `--top-p`, `--min-p`,
 * `--repeat-penalty`, `--seed`) for other commands that generate (ask); number flags are strings
 * parsed by `samplingFromFlags` so a bad value is reported on one line naming the flag.
 */
export const samplingFlags = () => ({
  'max-tokens': Flags.integer({ char: 'n', description: 'most new tokens', min: 1 }),
  temperature: Flags.string({ description: 'sampling temperature; 0 = greedy' }),
  'top-k': Flags.integer({ description: 'keep the K most likely tokens (0 = off)', min: 0 }),
  'top-p': Flags.string({ description: 'nucleus: keep the top tokens holding this probability mass (1 = off)' }),
  'min-p': Flags.string({ description: 'drop tokens less likely than MIN_P x the top one (0 = off)' }),
  'repeat-penalty': Flags.string({ description: 'divide positive / multiply negative logits of the last 64 tokens (1 = off)' }),
  seed: Flags.integer({ description: 'sampling seed: the same seed gives the same text (default: random)', min: 0 }),
})

export function samplingFromFlags(f: { temperature?: string; 'top-k'?: number; 'top-p'?: string; 'min-p'?: string; 'repeat-penalty'?: string; seed?: number }) {
  const num = (name: NumberFlagName, v: string | undefined) => (v === undefined ? undefined : parseNumberFlag(name, v))
  return {
    temperature: num('temperature', f.temperature), topK: f['top-k'], topP: num('top-p', f['top-p']), minP: num('min-p', f['min-p']),
    repeatPenalty: num('repeat-penalty', f['repeat-penalty']), seed: f.seed,
  }
}
