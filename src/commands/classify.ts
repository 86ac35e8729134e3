import { readFileSync } from 'node:fs'
import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { floatFlag, intFlag, progressFlag, runtimeFlags } from '../cli/flags.js'
import { createProgress, type Progress } from '../cli/progress.js'
import { readPipedStdin } from '../cli/stdin.js'
import { fileError, usageError } from '../core/errors.js'
import { classify, PRESETS, readFewShot, readRecords } from '../core/classify/index.js'
import { Model } from '../core/model/index.js'
import { parseDevice } from '../core/runtime/ort.js'

export default class Classify extends BaseCommand {
  static override summary = 'Classify texts zero- or few-shot by label log-likelihood, with contextual calibration.'
  static override description =
    'Each label is scored as the continuation of the prompt (--template, {text} = the text; default "Text: {text}\\nLabel:"); probabilities are the softmax of the labels\' log-likelihoods, ' +
    'calibrated by default (Zhao et al. 2021: divided by the probabilities for the content-free inputs "N/A", "", "[MASK]", renormalised; --no-calibrate turns it off). ' +
    '--few-shot FILE (JSONL or CSV with text and label) puts labelled examples first. --multi-label asks a yes/no question per label and keeps those with p(yes) >= --threshold. ' +
    'TEXT classifies one text; --input FILE (JSONL/CSV/lines) or piped stdin classifies many, one JSON line out per input, its fields kept. --preset sentiment = positive,negative,neutral with a review prompt.'

  static override examples = [
    '<%= config.bin %> classify "I loved every minute" --preset sentiment -m ./model',
    '<%= config.bin %> classify --input tickets.csv --labels billing,bug,feature --few-shot examples.jsonl > labelled.jsonl',
    '<%= config.bin %> classify "match report: 3-1" --labels sport,politics,science --multi-label --threshold 0.6 --json',
  ]

  static override args = { text: Args.string({ description: 'the text (else --input FILE or piped stdin)', ignoreStdin: true }) }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    labels: Flags.string({ char: 'l', description: 'comma-separated labels' }),
    'labels-file': Flags.string({ description: 'one label per line' }),
    preset: Flags.option({ options: ['sentiment'] as const, description: 'labels and template for a common task' })(),
    template: Flags.string({ description: 'prompt with {text} (multi-label: also {label})' }),
    'few-shot': Flags.string({ description: 'labelled examples (JSONL/CSV with text and label fields)' }),
    'no-calibrate': Flags.boolean({ description: 'raw softmax of the label log-likelihoods', default: false }),
    'multi-label': Flags.boolean({ description: 'independent yes/no per label', default: false }),
    threshold: floatFlag({ description: 'multi-label: keep labels with p(yes) >= this (default 0.5)', min: 0, max: 1 }),
    input: Flags.string({ char: 'i', description: 'batch input file (.jsonl, .csv, or text lines)' }),
    'text-field': Flags.string({ description: 'JSONL field / CSV column holding the text', default: 'text' }),
    'batch-size': intFlag({ description: 'sequences per forward pass', default: 8, min: 1 }),
    progress: progressFlag(),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Classify)
    const read = (f: string) => { try { return readFileSync(f, 'utf8') } catch (err) { throw fileError(f, err) } }
    const preset = flags.preset ? PRESETS[flags.preset]! : undefined
    const labels = flags.labels !== undefined ? flags.labels.split(',') : flags['labels-file'] ? read(flags['labels-file']).split('\n') : preset?.labels
    if (!labels) throw usageError('no labels given', { where: '--labels', hint: 'e.g. --labels positive,negative (or --labels-file, or --preset sentiment)' })
    const threshold = flags.threshold
    const fewShot = flags['few-shot'] ? readFewShot(read(flags['few-shot']), flags['few-shot'], labels) : undefined
    let records: { text: string; fields: Record<string, unknown> }[]
    let batch = true
    if (args.text !== undefined) { records = [{ text: args.text, fields: {} }]; batch = false }
    else if (flags.input) records = readRecords(read(flags.input), flags.input, flags['text-field'])
    else {
      const stdin = await readPipedStdin()
      if (stdin === undefined) throw usageError('missing TEXT', { where: 'TEXT', hint: 'give a text, --input FILE, or pipe lines / JSON Lines on stdin' })
      records = readRecords(stdin, 'stdin', flags['text-field'], stdin.trimStart().startsWith('{') ? 'jsonl' : 'txt')
    }
    const model = await Model.load(flags.model, { device: parseDevice(flags.device), threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype })
    try {
      let bar: Progress | undefined
      const results = await classify(model, records.map((r) => r.text), {
        labels, template: flags.template ?? preset?.template, fewShot, calibrate: !flags['no-calibrate'], multiLabel: flags['multi-label'], threshold, batchSize: flags['batch-size'],
        onProgress: batch ? (d, t) => { bar ??= createProgress('classify', t, flags.progress); bar.update(d) } : undefined,
      })
      bar?.finish()
      const rows = results.map((r, i) => ({ ...records[i]!.fields, ...(batch && !('text' in records[i]!.fields) ? { text: records[i]!.text } : {}), label: r.label, probs: r.probs, uncalibrated: r.uncalibrated }))
      if (!batch && flags.json) this.outJson({ text: records[0]!.text, label: results[0]!.label, probs: results[0]!.probs, uncalibrated: results[0]!.uncalibrated, loglikelihoods: results[0]!.loglikelihoods })
      else if (!batch) {
        const r = results[0]!
        const others = Object.entries(r.probs).sort((a, b) => b[1] - a[1]).map(([l, p]) => `${l} ${p.toFixed(3)}`).join(', ')
        this.out(`${Array.isArray(r.label) ? r.label.join(',') || '(none)' : r.label}\t${others}\n`)
      } else this.out(rows.map((r) => JSON.stringify(r) + '\n').join(''))
    } finally {
      await model.release()
    }
  }
}
