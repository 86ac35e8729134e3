/**
 * oclif flags of `llm pretrain` and `llm finetune`, generated from the one field list in
 * core/train/options.ts (no defaults here: a flag given beats the config file, which beats the
 * defaults core fills in), and the inverse: parsed flags → the options the user gave.
 */
import { Flags, type Interfaces } from './oclif.js'
import { checkFlags, fieldsFor, type PartialOptions, type TrainCommand } from '../core/train/options.js'
import { floatFlag, intFlag } from './flags.js'

const GROUPS: Record<string, string[]> = {
  ARCHITECTURE: ['layers', 'dim', 'heads', 'kv-heads', 'hidden', 'seq-len', 'tie'],
  'EVALUATION AND SAVING': ['val-fraction', 'eval-every', 'eval-steps', 'sample-every', 'checkpoint-every'],
  GLOBAL: ['data', 'out', 'tokenizer', 'init', 'model', 'adapter', 'method', 'device', 'threads'],
  DATA: ['format', 'packing', 'train-on', 'on-overflow', 'skip-empty', 'epochs'],
  LORA: ['lora-r', 'lora-alpha', 'lora-dropout', 'lora-targets', 'rslora'],
}
const groupOf = (name: string): string => Object.entries(GROUPS).find(([, names]) => names.includes(name))?.[0] ?? 'OPTIMISATION'

export function trainFlags(command: TrainCommand): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {}
  for (const [name, f] of Object.entries(fieldsFor(command))) {
    const common = { description: f.help, helpGroup: groupOf(name) }
    // numbers: parsed and range-checked by cli/flags.ts (the field's min/max), like every command's
    if (f.kind === 'int') out[name] = intFlag({ ...common, min: f.min, max: f.max })
    else if (f.kind === 'float') out[name] = floatFlag({ ...common, min: f.min, max: f.max })
    else if (f.kind === 'bool') out[name] = Flags.boolean({ ...common, allowNo: true })
    else if (f.kind === 'strings') out[name] = Flags.string({ ...common, multiple: true })
    else out[name] = Flags.string({ ...common, ...(f.choices ? { options: [...f.choices] } : {}) })
  }
  return out
}

/** The training options given as flags (checked like config keys). */
export function givenOptions(command: TrainCommand, flags: Record<string, unknown>): PartialOptions {
  const given: PartialOptions = {}
  for (const [name, f] of Object.entries(fieldsFor(command))) {
    const v = flags[name]
    if (v !== undefined) (given as Record<string, unknown>)[f.key] = v
  }
  return checkFlags(given, command)
}
