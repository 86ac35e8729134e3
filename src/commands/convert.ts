import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { usageError } from '../core/errors.js'
import { convert, CONVERT_SOURCES, type ConvertSource } from '../core/convert/index.js'
import { CONVERT_TARGETS, GGUF_OUTTYPES } from '../core/convert/sources.js'
import { convertToGguf } from '../core/convert/gguf.js'

export default class Convert extends BaseCommand {
  static override summary = 'Bring a checkpoint into a Hugging Face model folder with onnx/model.onnx (for llm and transformers.js).'
  static override description = `--from hf: a Hugging Face folder (config.json + model.safetensors or sharded model-0000N-of-0000M.safetensors; F32/F16/BF16) of a llama, mistral, qwen2, phi3 or gemma model → OUT with the same files (weights hard-linked where possible) plus onnx/model.onnx (weights as external data past 1.8 GB). OUT may be SRC: then only onnx/ is added.
--from llama2c: a llama2.c checkpoint (legacy or version 1 float32 .bin) and its --tokenizer → a new Llama folder (Hugging Face names, q/k rows permuted to rotate-half RoPE).
--to gguf: a Hugging Face folder → one GGUF v3 file (--outtype f32, f16, q8_0 or q4_0) with the tokenizer and chat template inside, for llama.cpp, ollama and LM Studio (as llama.cpp's convert_hf_to_gguf.py writes it).
Every config field is checked first; a field that cannot be honoured is named. The folder appears only when complete.`

  static override examples = [
    '<%= config.bin %> convert ./SmolLM2-135M --from hf --out ./SmolLM2-135M-onnx',
    '<%= config.bin %> convert ./my-finetune --from hf --out ./my-finetune   # add onnx/ in place',
    '<%= config.bin %> convert stories260K.bin --from llama2c --tokenizer tok512.model --out ./stories260K-hf',
    '<%= config.bin %> convert ./my-model --to gguf --out my-model.q8_0.gguf --outtype q8_0   # for llama.cpp / ollama',
  ]

  static override args = {
    src: Args.string({ description: 'checkpoint: a Hugging Face folder (--from hf) or a llama2.c .bin', required: true, ignoreStdin: true }),
  }

  static override flags = {
    from: Flags.string({ description: 'source format [default: hf for a folder, llama2c for a .bin file]', options: [...CONVERT_SOURCES] }),
    to: Flags.string({ description: 'target: hf (a folder with onnx/model.onnx) or gguf (one file for llama.cpp, from a Hugging Face folder)', options: [...CONVERT_TARGETS], default: 'hf' }),
    outtype: Flags.string({ description: 'how weights are stored: --to gguf, the type of 2-D tensors [default: f16]; --to hf, the ONNX graph\'s initializers, f32 or f16 (half the files: graph initializers, and the safetensors of a new --out folder, as float16; computed in float32) [default: f32]', options: [...GGUF_OUTTYPES] }),
    tokenizer: Flags.string({ char: 't', description: '--from llama2c: the model\'s tokenizer, SentencePiece .model or llama2.c tokenizer .bin' }),
    out: Flags.string({ char: 'o', description: 'output folder (must not exist or be empty, unless --force; --from hf: may be SRC); --to gguf: the .gguf file', required: true }),
    force: Flags.boolean({ description: 'replace OUT if it exists', default: false }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert)
    if (flags.to === 'gguf') return this.toGguf(args.src, flags)
    const started = Date.now()
    if (flags.outtype && flags.outtype !== 'f32' && flags.outtype !== 'f16') throw usageError(`${flags.outtype} is for --to gguf`, { where: '--outtype', hint: 'for ONNX int8/q4 weights use llm quantize' })
    const r = convert({ from: flags.from as ConvertSource | undefined, src: args.src, tokenizer: flags.tokenizer, out: flags.out, force: flags.force, storage: flags.outtype === 'f16' ? 'float16' : 'float32' })
    const seconds = (Date.now() - started) / 1000
    if (flags.json) {
      this.outJson({ out: r.dir, from: r.from, format: r.format, family: r.family, parameters: r.parameters, layers: r.layers, hidden_size: r.hiddenSize, vocab_size: r.vocabSize, files: r.files, seconds })
      return
    }
    this.out(`${r.dir}\n`)
    for (const f of r.files) this.out(`  ${f.path.padEnd(24)} ${f.bytes} bytes\n`)
    this.note(`converted ${r.format}: ${r.parameters} parameters, ${r.layers} layers, vocab ${r.vocabSize} in ${seconds.toFixed(1)} s`)
  }

  /** `--to gguf`: a Hugging Face folder → one GGUF file (core/convert/gguf.ts) */
  private async toGguf(src: string, flags: { from?: string; out: string; outtype?: string; force: boolean; json: boolean }): Promise<void> {
    if (flags.from && flags.from !== 'hf') throw usageError(`--to gguf reads a Hugging Face folder, not ${flags.from}`, { where: '--from', hint: 'convert to a folder first, then to gguf' })
    const started = Date.now()
    const r = convertToGguf({ src, out: flags.out, outtype: (flags.outtype ?? 'f16') as (typeof GGUF_OUTTYPES)[number], force: flags.force })
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
