import { Flags } from '../../cli/oclif.js'
import chalk from 'chalk'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag, progressFlag } from '../../cli/flags.js'
import { givenOptions, trainFlags } from '../../cli/train-flags.js'
import { trainAndReport } from '../../cli/training.js'
import { dryRun } from '../../core/train/finetune/dry-run.js'
import { readConfigFile, resolveFinetuneOptions, type FinetuneOptions } from '../../core/train/options.js'

export default class Finetune extends BaseCommand {
  static override summary = 'Fine-tune a model on your data: LoRA (PEFT adapter) or every weight, SFT or continued pretraining'
  static override description = `Trains --model (a Hugging Face folder of any supported family, or a store name; safetensors,
no ONNX needed) on --data records: alpaca, messages (OpenAI), sharegpt, prompt-completion (TRL), text or
tokenized ({input_ids, labels}). Chat data is rendered with the model's chat template and the loss covers
assistant turns only (--train-on). Short samples are packed several per row without seeing each other.
--out receives checkpoint/ and metrics.jsonl, and at the end the PEFT adapter (adapter_config.json +
adapter_model.safetensors) or, with --method full, a full model folder. Ctrl-C saves a checkpoint and
exits 130; --resume continues exactly. 'llm finetune merge' folds an adapter into its base.`

  static override examples = [
    '<%= config.bin %> finetune --model ./SmolLM2-135M-Instruct --data chats.jsonl --out runs/chat-lora',
    '<%= config.bin %> finetune --model ./base --data domain.jsonl --format text --method full --epochs 1 --out runs/cpt',
    '<%= config.bin %> finetune --model ./base --data rows.jsonl --dry-run',
    'for f in data/*.jsonl; do <%= config.bin %> finetune --model ./base --data "$f" --out "runs/$(basename "$f" .jsonl)" --json; done',
  ]

  static override flags = {
    ...trainFlags('finetune'),
    config: Flags.string({ description: 'YAML file of options; keys are the flag names (flags given win)', helpGroup: 'GLOBAL' }),
    resume: Flags.boolean({ description: 'continue the run in --out (its saved options apply; --steps may grow)', default: false }),
    'dry-run': Flags.boolean({ description: 'show the first samples with their trained tokens marked and the token statistics; train nothing', default: false }),
    progress: progressFlag(),
    mlflow: Flags.string({ description: "also record the run in MLflow's file store DIR (mlflow ui --backend-store-uri DIR)", helpGroup: 'EVALUATION AND SAVING' }),
    'stop-at': intFlag({ description: 'stop as if interrupted once this many steps are done (testing; 0 = before the first step)', hidden: true, min: 0 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Finetune)
    const given = givenOptions('finetune', flags)
    const file = flags.config ? readConfigFile(flags.config, 'finetune') : {}
    // --resume needs only --out: the rest comes from the saved run when not given
    const options = resolveFinetuneOptions(file, flags.resume ? { model: '(from checkpoint)', data: ['(from checkpoint)'], ...given } : given)
    if (flags['dry-run']) return this.dryRun(options, flags.json)
    const code = await trainAndReport({ kind: 'finetune', options, given, resume: flags.resume, stopAt: flags['stop-at'] }, { json: flags.json, progress: flags.progress, mlflow: flags.mlflow, version: this.config.version })
    if (code) this.exit(code)
  }

  private async dryRun(options: FinetuneOptions, json: boolean): Promise<void> {
    const r = dryRun(options)
    if (json) return this.outJson({ ...r.stats, samples: r.samples })
    // trained tokens in colour on a terminal, between [[ ]] elsewhere
    const color = chalk.level > 0 && process.stdout.isTTY
    for (const s of r.samples) {
      this.out(`── ${s.where}: ${s.tokens} tokens, ${s.trained} trained\n`)
      this.out(s.runs.map(([text, trained]) => (!trained ? text : color ? chalk.green(text) : `[[${text}]]`)).join('') + '\n')
    }
    const st = r.stats
    for (const n of r.notes) this.note(n)
    this.note(`${st.train_samples} train / ${st.validation_samples} validation samples, ${st.tokens} tokens, ${st.trained} trained (${((100 * st.trained) / st.tokens).toFixed(1)}%), ${st.rows_per_epoch} rows of ${st.seq_len} per epoch${st.packed ? ' (packed)' : ''}; nothing was trained (--dry-run)`)
  }
}
