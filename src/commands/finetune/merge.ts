import { Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { mergeAdapter } from '../../core/train/finetune/merge.js'

export default class FinetuneMerge extends BaseCommand {
  static override summary = 'Fold a LoRA adapter into its base: a full model folder (safetensors + onnx/model.onnx)'
  static override description = 'W ← W + scaling · B @ A for every adapted module (scaling = lora_alpha / r, or / √r with use_rslora), then writes OUT with the base\'s config, tokenizer and generation files, model.safetensors and onnx/model.onnx. The base needs no tokenizer. OUT appears only when complete.'
  static override examples = ['<%= config.bin %> finetune merge --model ./base --adapter runs/chat-lora --out ./chat-merged']

  static override flags = {
    model: Flags.string({ char: 'm', description: 'the base the adapter was trained on (folder or store name)', required: true }),
    adapter: Flags.string({ description: 'the PEFT LoRA adapter folder', required: true }),
    out: Flags.string({ char: 'o', description: 'output folder (must not exist or be empty, unless --force)', required: true }),
    force: Flags.boolean({ description: 'replace OUT if it exists', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(FinetuneMerge)
    const r = mergeAdapter(flags.model, flags.adapter, flags.out, flags.force)
    if (flags.json) return this.outJson({ out: r.dir, parameters: r.parameters, merged_modules: r.modules, files: r.files })
    this.out(`${r.dir}\n`)
    this.note(`merged ${r.modules} adapted modules into ${r.parameters} parameters`)
  }
}
