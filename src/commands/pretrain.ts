import { Flags, type Interfaces } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { progressFlag } from '../cli/flags.js'
import { EXIT, usageError } from '../core/errors.js'
import { FIELDS, checkFlags, readConfigFile, resolveOptions, type PartialOptions } from '../core/train/options.js'
import { runTraining } from '../cli/training.js'

const float = Flags.custom<number>({
  parse: async (s, _ctx, opts) => {
    const v = Number(s)
    if (s.trim() === '' || !Number.isFinite(v)) throw usageError(`'${s}' is not a number`, { where: `--${opts.name}` })
    return v
  },
})

/** oclif flags generated from the one field list in core/train/options.ts (no defaults here:
 *  a flag given beats the config file, which beats the defaults core fills in) */
function trainFlags() {
  const out: Interfaces.FlagInput = {}
  for (const [name, f] of Object.entries(FIELDS)) {
    const common = { description: f.help, helpGroup: groupOf(name) }
    if (f.kind === 'int') out[name] = Flags.integer({ ...common })
    else if (f.kind === 'float') out[name] = float({ ...common })
    else if (f.kind === 'bool') out[name] = Flags.boolean({ ...common, allowNo: true })
    else if (f.kind === 'strings') out[name] = Flags.string({ ...common, multiple: true })
    else out[name] = Flags.string({ ...common, ...(f.choices ? { options: [...f.choices] } : {}) })
  }
  return out
}

function groupOf(name: string): string {
  if (['layers', 'dim', 'heads', 'kv-heads', 'hidden', 'seq-len', 'tie'].includes(name)) return 'ARCHITECTURE'
  if (['val-fraction', 'eval-every', 'eval-steps', 'sample-every', 'checkpoint-every'].includes(name)) return 'EVALUATION AND SAVING'
  if (['data', 'out', 'tokenizer', 'init', 'device', 'threads'].includes(name)) return 'GLOBAL'
  return 'OPTIMISATION'
}

export default class Pretrain extends BaseCommand {
  static override summary = 'Pretrain a Llama-architecture model from scratch (or any supported family from --init) on text or token files'
  static override description = `Writes a Hugging Face model folder to --out (config.json, model.safetensors, tokenizer.json,
generation_config.json, onnx/model.onnx) that \`llm generate -m DIR\` runs, plus checkpoint/ (weights, AdamW
moments, step, RNG and data position) and metrics.jsonl. Ctrl-C saves a checkpoint and exits 130;
--resume continues the run to --steps with results identical to an uninterrupted run.`

  static override examples = [
    '<%= config.bin %> pretrain --data input.txt --tokenizer char --out runs/shakespeare --steps 2000',
    '<%= config.bin %> pretrain --config recipe.yaml --out runs/a',
    '<%= config.bin %> pretrain --out runs/a --data input.txt --resume --steps 4000',
    '<%= config.bin %> pretrain --init my-model --data tokens.bin --order sequential --steps 1 --json',
  ]

  static override flags = {
    ...trainFlags(),
    config: Flags.string({ description: 'YAML file of options; keys are the flag names (flags given win)', helpGroup: 'GLOBAL' }),
    resume: Flags.boolean({ description: 'continue the run in --out (its saved options apply; --steps may grow)', default: false }),
    progress: progressFlag(),
    'stop-at': Flags.integer({ description: 'stop as if interrupted once this many steps are done (testing)', hidden: true, min: 1 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Pretrain)
    const given: PartialOptions = {}
    for (const [name, f] of Object.entries(FIELDS)) {
      const v = (flags as Record<string, unknown>)[name]
      if (v !== undefined) (given as Record<string, unknown>)[f.key] = v
    }
    checkFlags(given)
    const config = flags.config ? readConfigFile(flags.config) : {}
    // --resume needs only --out: the data and the rest come from the saved run when not given
    const options = resolveOptions(config, flags.resume ? { data: ['(from checkpoint)'], ...given } : given)
    const summary = await runTraining({ kind: 'pretrain', options, given, resume: flags.resume, stopAt: flags['stop-at'] }, flags.progress)
    const { interrupted, saved, ...result } = summary
    if (flags.json) this.outJson(interrupted ? { ...result, interrupted } : result)
    else {
      const val = result.val_loss === null ? '' : `, val loss ${result.val_loss.toFixed(4)}`
      this.note(`${interrupted ? 'stopped' : 'done'} at step ${result.steps}: train loss ${result.train_loss?.toFixed(4) ?? '-'}${val}, ${Math.round(result.tokens_per_second)} tokens/s, ${result.wall_seconds.toFixed(1)} s → ${result.out}`)
    }
    if (interrupted) {
      this.note(saved ? `checkpoint saved; continue with: llm pretrain --out ${result.out} --resume` : 'stopped before the first step: nothing was saved')
      this.exit(EXIT.interrupted)
    }
  }
}
