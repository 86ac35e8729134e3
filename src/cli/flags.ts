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

/** `--device` and `--threads`, for the commands that run a model through onnxruntime. */
export const runtimeFlags = () => ({
  device: Flags.string({ description: 'cpu, cuda, webgpu, dml, coreml or auto', default: 'cpu' }),
  threads: Flags.integer({ description: 'CPU threads for onnxruntime (default: all cores)', min: 1 }),
  dtype: Flags.option({ options: ['fp32', 'fp16', 'int8', 'q4'] as const, description: 'which ONNX file of the folder to run: onnx/model.onnx, model_fp16, model_int8 or model_q4 (as transformers.js names them; default: the first one present, fp32 first)' })(),
})
