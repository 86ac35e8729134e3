import { readFileSync } from 'node:fs'
import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { beamFlags, beamSettings } from '../cli/beam-flags.js'
import { intFlag, progressFlag, runtimeFlags } from '../cli/flags.js'
import { createProgress, type Progress } from '../cli/progress.js'
import { readPipedStdin } from '../cli/stdin.js'
import { writeFileAtomic } from '../core/atomic.js'
import { fileError, usageError } from '../core/errors.js'
import { parseDevice } from '../core/runtime/ort.js'
import { openTranslator, translateDocument } from '../core/translate/index.js'
import { pairParams, parseParams } from '../core/prompts/params.js'
import { resolveTemplate } from '../core/prompts/index.js'

export default class Translate extends BaseCommand {
  static override summary = 'Translate text, files or stdin with a local model (line in, line out).'
  static override description =
    'The input is TEXT, the --input files, or piped stdin. --layout lines (default) translates every line on its own, one line out per line in, ' +
    'blank lines kept; --layout paragraphs translates runs of lines as one paragraph and keeps the blank lines between them. A piece longer than ' +
    "the model takes is split into sentences (Intl.Segmenter), then at clauses or words, and rejoined: split, never cut. MODEL is an encoder-decoder " +
    'folder (opus-mt/Marian, T5, BART/mBART, M2M100/NLLB), a decoder-only folder with translate_config.json, or a chat model; default: the bundled ' +
    'models/translate-en-fr. Decoding is greedy unless --num-beams or the model\'s generation_config.json asks for beam search. --json writes JSON Lines: ' +
    'one object per input line (or paragraph) with source, translation, tokens and timings.'

  static override examples = [
    '<%= config.bin %> translate "The weather is nice today."',
    '<%= config.bin %> translate -m ./opus-mt-en-de --to de --input notes.txt --output notes.de.txt',
    'cat doc.md | <%= config.bin %> translate -m ./nllb-200-distilled-600M --from en --to fr --layout paragraphs',
    '<%= config.bin %> translate -m ./t5-small --to de --num-beams 4 --json "How old are you?"',
  ]

  static override args = {
    text: Args.string({ description: 'text to translate (else --input files, else piped stdin)', ignoreStdin: true }),
  }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_TRANSLATE_MODEL, else models/translate-en-fr)' }),
    from: Flags.string({ description: 'source language: ISO 639-1/3 code, name, or the model\'s own code (fr, fra, French, fra_Latn)' }),
    to: Flags.string({ description: 'target language (same forms as --from)' }),
    input: Flags.string({ char: 'i', description: 'file to translate (repeatable; translations follow one another on stdout)', multiple: true }),
    output: Flags.string({ char: 'o', description: 'write the translation here (atomically) instead of stdout (with --json the records still go to stdout)' }),
    layout: Flags.option({ options: ['lines', 'paragraphs'] as const, description: 'unit of translation', default: 'lines' })(),
    'batch-size': intFlag({ description: 'pieces per forward pass', default: 8, min: 1 }),
    template: Flags.string({ char: 't', description: 'chat models: prompt template NAME or FILE (default: the built-in translate; {{target}} and {{source}} are the languages)' }),
    param: Flags.string({ char: 'p', description: 'template variable: -p KEY VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
    'max-tokens': intFlag({ char: 'n', description: 'most new tokens per piece (default: 2 x source tokens + 16)', min: 1 }),
    ...beamFlags(),
    progress: progressFlag(),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Translate, pairParams(this.argv))
    const device = parseDevice(flags.device)
    const decode = { ...beamSettings(flags), maxNewTokens: flags['max-tokens'] }
    const inputs: { name: string; text: string }[] = []
    if (args.text !== undefined) inputs.push({ name: 'TEXT', text: args.text })
    for (const f of flags.input ?? []) {
      try { inputs.push({ name: f, text: readFileSync(f, 'utf8') }) } catch (err) { throw fileError(f, err) }
    }
    if (inputs.length === 0) {
      const stdin = await readPipedStdin()
      if (stdin === undefined) {
        this.note('usage: llm translate [TEXT] (or --input FILE, or pipe text on stdin); see llm translate --help')
        this.exit(2)
      }
      inputs.push({ name: 'stdin', text: stdin ?? '' })
    }
    if (flags.output && inputs.length > 1) throw usageError('--output takes one input', { where: '--output', hint: 'translate the files one at a time, or leave out --output' })
    const template = flags.template === undefined ? undefined : resolveTemplate(flags.template)
    if (!template && flags.param?.length) throw usageError('-p sets template variables: give a template with -t', { where: '-p' })
    const translator = await openTranslator(flags.model, { from: flags.from, to: flags.to, device, threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype, decode, template, params: parseParams(flags.param) })
    const collected: string[] = []
    try {
      for (const input of inputs) {
        let bar: Progress | undefined
        const text = input.name === 'TEXT' && !input.text.endsWith('\n') ? input.text + '\n' : input.text
        const r = await translateDocument(translator, text, {
          layout: flags.layout, batchSize: flags['batch-size'],
          // --output gets the translation, with --json too (the records still go to stdout)
          onText: flags.output ? (t) => collected.push(t) : flags.json ? undefined : (t) => this.out(t),
          onUnit: flags.json ? (u) => this.outJson({ ...(inputs.length > 1 ? { file: input.name } : {}), ...u }) : undefined,
          onProgress: (done, total) => { bar ??= createProgress(`translate ${input.name}`, total, flags.progress); bar.update(done) },
        })
        bar?.finish()
        if (r.cut) this.note(`llm translate: warning: ${input.name}: ${r.cut} of ${r.pieces} pieces stopped at the token limit, their translations cut (hint: raise --max-tokens)`)
      }
      if (flags.output) writeFileAtomic(flags.output, collected.join(''))
    } finally {
      await translator.close()
    }
  }
}
