import { Args, Flags } from '../cli/oclif.js'
import { quantizeModel } from '../core/quantize/index.js'
import { BaseCommand } from '../cli/base-command.js'

export default class Quantize extends BaseCommand {
  static override summary = 'Quantize a model folder\'s ONNX weights to int8 or 4 bits (weight-only, for faster CPU decoding).'
  static override description =
    'Every MatMul/Gemm weight becomes onnxruntime\'s MatMulNBits (blocks of 32, llama.cpp\'s q8_0 / q4_0 rounding, int8 compute). ' +
    'Writes onnx/model_int8.onnx or onnx/model_q4.onnx, the names transformers.js uses for dtype \'int8\' / \'q4\'; pick it with --dtype on generate, chat and eval. ' +
    'With --out SRC the file is added beside onnx/model.onnx; another --out gets the configuration and tokenizer files too.'

  static override examples = [
    '<%= config.bin %> quantize ./my-model --to q4 --out ./my-model',
    '<%= config.bin %> generate -m ./my-model --dtype q4 "Once upon a time"',
    '<%= config.bin %> quantize ./my-model --to int8 --out ./my-model-int8 --json',
  ]

  static override args = {
    src: Args.string({ description: 'model folder with onnx/model.onnx', required: true, ignoreStdin: true }),
  }

  static override flags = {
    to: Flags.option({ options: ['int8', 'q4'] as const, description: 'int8: 8-bit blocks; q4: 4-bit blocks', required: true })(),
    out: Flags.string({ char: 'o', description: 'output folder (SRC itself adds the file beside model.onnx)', required: true }),
    force: Flags.boolean({ description: 'replace an existing output', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Quantize)
    const started = Date.now()
    const r = quantizeModel({ src: args.src, to: flags.to, out: flags.out, force: flags.force })
    const seconds = (Date.now() - started) / 1000
    if (flags.json) {
      this.outJson({ out: r.dir, file: r.file, source: r.source, to: flags.to, bits: r.bits, weights: r.weights, skipped: r.skipped, bytes: r.bytes, weight_bytes_before: r.weightBytesBefore, weight_bytes_after: r.weightBytesAfter, seconds })
      return
    }
    this.out(`${r.file}\n`)
    for (const s of r.skipped) this.note(`kept float: ${s.name} (${s.why})`)
    this.note(`quantized ${r.weights} weights to ${r.bits} bits: ${(r.weightBytesBefore / 1e6).toFixed(1)} MB → ${(r.weightBytesAfter / 1e6).toFixed(1)} MB; model file ${(r.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s`)
  }
}
