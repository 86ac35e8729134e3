import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
// the converter (and the ONNX graph builder it pulls in) loads in run(): every llm command loads this file
import { CONVERT_SOURCES, type ConvertSource } from '../core/convert/sources.js'

export default class Convert extends BaseCommand {
  static override summary = 'Bring a checkpoint into a Hugging Face model folder with onnx/model.onnx (for llm and transformers.js).'
  static override description = `--from hf: a Hugging Face folder (config.json + model.safetensors or sharded model-0000N-of-0000M.safetensors; F32/F16/BF16) of a llama, mistral, qwen2, phi3 or gemma model → OUT with the same files (weights hard-linked where possible) plus onnx/model.onnx (weights as external data past 1.8 GB). OUT may be SRC: then only onnx/ is added.
--from llama2c: a llama2.c checkpoint (legacy or version 1 float32 .bin) and its --tokenizer → a new Llama folder (Hugging Face names, q/k rows permuted to rotate-half RoPE).
Every config field is checked first; a field that cannot be honoured is named. The folder appears only when complete.`

  static override examples = [
    '<%= config.bin %> convert ./SmolLM2-135M --from hf --out ./SmolLM2-135M-onnx',
    '<%= config.bin %> convert ./my-finetune --from hf --out ./my-finetune   # add onnx/ in place',
    '<%= config.bin %> convert stories260K.bin --from llama2c --tokenizer tok512.model --out ./stories260K-hf',
  ]

  static override args = {
    src: Args.string({ description: 'checkpoint: a Hugging Face folder (--from hf) or a llama2.c .bin', required: true, ignoreStdin: true }),
  }

  static override flags = {
    from: Flags.string({ description: 'source format [default: hf for a folder, llama2c for a .bin file]', options: [...CONVERT_SOURCES] }),
    tokenizer: Flags.string({ char: 't', description: '--from llama2c: the model\'s tokenizer, SentencePiece .model or llama2.c tokenizer .bin' }),
    out: Flags.string({ char: 'o', description: 'output folder (must not exist or be empty, unless --force; --from hf: may be SRC)', required: true }),
    force: Flags.boolean({ description: 'replace OUT if it exists', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert)
    const { convert } = await import('../core/convert/index.js')
    const started = Date.now()
    const r = convert({ from: flags.from as ConvertSource | undefined, src: args.src, tokenizer: flags.tokenizer, out: flags.out, force: flags.force })
    const seconds = (Date.now() - started) / 1000
    if (flags.json) {
      this.outJson({ out: r.dir, from: r.from, format: r.format, family: r.family, parameters: r.parameters, layers: r.layers, hidden_size: r.hiddenSize, vocab_size: r.vocabSize, files: r.files, seconds })
      return
    }
    this.out(`${r.dir}\n`)
    for (const f of r.files) this.out(`  ${f.path.padEnd(24)} ${f.bytes} bytes\n`)
    this.note(`converted ${r.format}: ${r.parameters} parameters, ${r.layers} layers, vocab ${r.vocabSize} in ${seconds.toFixed(1)} s`)
  }
}
