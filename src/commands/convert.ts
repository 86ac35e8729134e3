import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { convert, CONVERT_SOURCES, type ConvertSource } from '../core/convert/index.js'

export default class Convert extends BaseCommand {
  static override summary = 'Import a foreign checkpoint into a Hugging Face Llama folder (safetensors, tokenizer.json, onnx/model.onnx).'
  static override description =
    'Reads a llama2.c checkpoint (legacy or version 1 float32 .bin) and its tokenizer, and writes OUT with config.json, generation_config.json, model.safetensors (Hugging Face names, q/k rows permuted to rotate-half RoPE), tokenizer.json, tokenizer_config.json and onnx/model.onnx for onnxruntime and transformers.js. The folder appears only when complete.'

  static override examples = [
    '<%= config.bin %> convert stories260K.bin --from llama2c --tokenizer tok512.model --out ./stories260K-hf',
    '<%= config.bin %> convert model.bin --from llama2c --tokenizer tokenizer.bin --out ./my-model --force --json',
  ]

  static override args = {
    src: Args.string({ description: 'checkpoint file to convert', required: true, ignoreStdin: true }),
  }

  static override flags = {
    from: Flags.string({ description: 'source format', options: [...CONVERT_SOURCES], required: true }),
    tokenizer: Flags.string({ char: 't', description: 'the model\'s tokenizer: SentencePiece .model or llama2.c tokenizer .bin', required: true }),
    out: Flags.string({ char: 'o', description: 'output folder (must not exist or be empty, unless --force)', required: true }),
    force: Flags.boolean({ description: 'replace OUT if it exists', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert)
    const started = Date.now()
    const r = convert({ from: flags.from as ConvertSource, src: args.src, tokenizer: flags.tokenizer, out: flags.out, force: flags.force })
    const seconds = (Date.now() - started) / 1000
    if (flags.json) {
      this.outJson({ out: r.dir, from: r.from, format: r.format, parameters: r.parameters, layers: r.layers, hidden_size: r.hiddenSize, vocab_size: r.vocabSize, files: r.files, seconds })
      return
    }
    this.out(`${r.dir}\n`)
    for (const f of r.files) this.out(`  ${f.path.padEnd(24)} ${f.bytes} bytes\n`)
    this.note(`converted ${r.format}: ${r.parameters} parameters, ${r.layers} layers, vocab ${r.vocabSize} in ${seconds.toFixed(1)} s`)
  }
}
