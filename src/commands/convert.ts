import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
// the converter (and the ONNX graph builder it pulls in) loads in run(): every llm command loads this file
import { CONVERT_SOURCES, CONVERT_TARGETS, GGUF_OUTTYPES, type ConvertSource } from '../core/convert/sources.js'

export default class Convert extends BaseCommand {
  static override summary = 'Import a foreign checkpoint into a Hugging Face Llama folder (safetensors, tokenizer.json, onnx/model.onnx).'
  static override description =
    'Reads a llama2.c checkpoint (legacy or version 1 float32 .bin) and its tokenizer, and writes OUT with config.json, generation_config.json, model.safetensors (Hugging Face names, q/k rows permuted to rotate-half RoPE), tokenizer.json, tokenizer_config.json and onnx/model.onnx for onnxruntime and transformers.js. The folder appears only when complete.'

  static override examples = [
    '<%= config.bin %> convert stories260K.bin --from llama2c --tokenizer tok512.model --out ./stories260K-hf',
    '<%= config.bin %> convert model.bin --from llama2c --tokenizer tokenizer.bin --out ./my-model --force --json',
    '<%= config.bin %> convert ./my-model --to gguf --out my-model.q8_0.gguf --outtype q8_0',
  ]

  static override args = {
    src: Args.string({ description: 'checkpoint file (or, with --to gguf, a Hugging Face folder) to convert', required: true, ignoreStdin: true }),
  }

  static override flags = {
    from: Flags.string({ description: 'source format (hf is implied by --to gguf)', options: [...CONVERT_SOURCES, 'hf'] }),
    to: Flags.string({ description: 'target: hf (a Hugging Face folder with onnx/model.onnx) or gguf (one file for llama.cpp)', options: [...CONVERT_TARGETS], default: 'hf' }),
    outtype: Flags.string({ description: 'GGUF weight type for 2-D tensors (--to gguf)', options: [...GGUF_OUTTYPES], default: 'f16' }),
    tokenizer: Flags.string({ char: 't', description: 'the model\'s tokenizer: SentencePiece .model or llama2.c tokenizer .bin (--from llama2c)' }),
    out: Flags.string({ char: 'o', description: 'output folder (must not exist or be empty, unless --force); with --to gguf, the .gguf file', required: true }),
    force: Flags.boolean({ description: 'replace OUT if it exists', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert)
    if (flags.to === 'gguf') return this.toGguf(args.src, flags)
    const { convert } = await import('../core/convert/index.js')
    const started = Date.now()
    if (!flags.from || !flags.tokenizer) this.error(`${flags.from ? '--tokenizer' : '--from'} is required (hint: see --help)`, { exit: 2 })
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

  /** `--to gguf`: a Hugging Face folder → one GGUF file (core/convert/gguf.ts) */
  private async toGguf(src: string, flags: { from?: string; out: string; outtype: string; force: boolean; json: boolean }): Promise<void> {
    if (flags.from && flags.from !== 'hf') this.error(`--to gguf reads a Hugging Face folder, not --from ${flags.from} (hint: convert to a folder first, then to gguf)`, { exit: 2 })
    const { convertToGguf } = await import('../core/convert/gguf.js')
    const started = Date.now()
    const r = convertToGguf({ src, out: flags.out, outtype: flags.outtype as (typeof GGUF_OUTTYPES)[number], force: flags.force })
    const seconds = (Date.now() - started) / 1000
    if (flags.json) {
      this.outJson({ out: r.file, to: 'gguf', architecture: r.architecture, family: r.family, outtype: r.outtype, bytes: r.bytes, tensors: r.tensors, parameters: r.parameters, vocab_size: r.vocabSize, tokenizer: r.tokenizer, notes: r.notes, seconds })
      return
    }
    this.out(`${r.file}\n`)
    for (const n of r.notes) this.note(`note: ${n}`)
    this.note(`wrote GGUF ${r.architecture} ${r.outtype}: ${r.tensors} tensors, ${r.parameters} parameters, ${r.tokenizer} tokenizer, ${r.bytes} bytes in ${seconds.toFixed(1)} s`)
  }
}
