import { Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, progressFlag } from '../cli/flags.js'
import { readConfigFile, resolveOptions } from '../core/train/options.js'
import { givenOptions, trainFlags } from '../cli/train-flags.js'
import { trainAndReport } from '../cli/training.js'

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
    ...trainFlags('pretrain'),
    config: Flags.string({ description: 'YAML file of options; keys are the flag names (flags given win)', helpGroup: 'GLOBAL' }),
    resume: Flags.boolean({ description: 'continue the run in --out (its saved options apply; --steps may grow)', default: false }),
    progress: progressFlag(),
    mlflow: Flags.string({ description: "also record the run in MLflow's file store DIR (mlflow ui --backend-store-uri DIR)", helpGroup: 'EVALUATION AND SAVING' }),
    'stop-at': intFlag({ description: 'stop as if interrupted once this many steps are done (testing; 0 = before the first step)', hidden: true, min: 0 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Pretrain)
    const given = givenOptions('pretrain', flags)
    const config = flags.config ? readConfigFile(flags.config) : {}
    // --resume needs only --out: the data and the rest come from the saved run when not given
    const options = resolveOptions(config, flags.resume ? { data: ['(from checkpoint)'], ...given } : given)
    const code = await trainAndReport({ kind: 'pretrain', options, given, resume: flags.resume, stopAt: flags['stop-at'] }, { json: flags.json, progress: flags.progress, mlflow: flags.mlflow, version: this.config.version })
    if (code) this.exit(code)
  }
}
