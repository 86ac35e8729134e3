import { Args, Flags, type Interfaces } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, progressFlag, runtimeFlags } from '../cli/flags.js'
import { createProgress, type Progress } from '../cli/progress.js'
import { writeFileAtomic } from '../core/atomic.js'
import { EXIT, usageError } from '../core/errors.js'
import { buildResults, checkGates, compareResults, comparisonTable, parseGate, readResults, sampleLines, summaryTable, type Gate } from '../core/eval/results.js'
import { evalMaxLength, runTask } from '../core/eval/runner.js'
import { BUILTIN_TASKS, resolveTask, type TaskSpec } from '../core/eval/tasks.js'
import { TRANSLATION_TASKS } from '../core/eval/tasks/translation.js'
import { beamFlags, beamSettings } from '../cli/beam-flags.js'

export default class Eval extends BaseCommand {
  static override summary = 'Evaluate a model: perplexity, multiple choice, cloze and generation tasks, with CI gates.'
  static override description =
    `TASK is a built-in task (${Object.keys(BUILTIN_TASKS).join(', ')}; data from ../shared/data or --data), a task file (.yaml/.json) or a data file: ` +
    '.txt is perplexity; .jsonl lines {query, choices, gold} are zero-shot multiple choice (context = query, continuation = " " + choice), ' +
    '{ctx, endings, label} HellaSwag, {context, continuation} cloze, {prompt, completion} generation, {text, label} classification (llm classify\'s calibrated zero-shot; acc, macro_f1), {text} perplexity. ' +
    'Scores do not depend on --batch-size. --fail-under exits with code 3 when a metric misses (below VALUE; above it for perplexities and bits_per_byte). ' +
    '--compare A.json B.json prints each shared metric\'s difference with a 95% paired-bootstrap interval, from the per-item scores stored in --output files. ' +
    `Translation (${Object.keys(TRANSLATION_TASKS).join(', ')}, or --src/--ref line-aligned files, or JSONL {source, target}): the model translates as llm translate does (--from/--to, beam flags) and scores corpus BLEU and chrF with sacrebleu's signatures.`

  static override examples = [
    '<%= config.bin %> eval arc_easy -m ./my-model --limit 200',
    '<%= config.bin %> eval items.jsonl -m ./my-model --batch-size 8 --output results.json --log-samples samples.jsonl',
    '<%= config.bin %> eval wikitext -m ./my-model --limit 20 --fail-under word_perplexity=80',
    '<%= config.bin %> eval data.jsonl --format multiple_choice --context-field question --choices-field options --gold-field answer',
    '<%= config.bin %> eval --compare before.json after.json',
    '<%= config.bin %> eval --src test.en --ref test.fr -m ./opus-mt-en-fr --fail-under bleu=30',
  ]

  static override args = {
    task: Args.string({ description: 'built-in task name, task file, or data file (with --compare: results file A)', ignoreStdin: true }),
    other: Args.string({ description: 'with --compare: results file B', ignoreStdin: true }),
  }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    limit: intFlag({ description: 'evaluate only the first N items', min: 1 }),
    'num-fewshot': intFlag({ description: 'few-shot examples per item (default: the task\'s, else 0)', min: 0 }),
    'batch-size': intFlag({ description: 'sequences per forward pass', default: 1, min: 1 }),
    seed: intFlag({ description: 'seed of the few-shot sampler', default: 1234, min: 0 }),
    data: Flags.string({ description: 'data file for a built-in task or task file' }),
    format: Flags.option({ options: ['multiple_choice', 'hellaswag', 'cloze', 'perplexity', 'generate', 'classification'] as const, description: 'shape of a bare data file (default: from its fields)' })(),
    'context-field': Flags.string({ description: 'field holding the context / prompt' }),
    'choices-field': Flags.string({ description: 'field holding the list of choices' }),
    'gold-field': Flags.string({ description: 'field holding the gold choice (index or text)' }),
    'target-field': Flags.string({ description: 'field holding the cloze continuation / generation reference' }),
    'text-field': Flags.string({ description: 'field holding the text of a perplexity JSONL file', default: 'text' }),
    'max-length': intFlag({ description: 'model context in tokens (default: config.json max_position_embeddings)', min: 2 }),
    output: Flags.string({ char: 'o', description: 'write the results JSON here (atomically, at the end)' }),
    'log-samples': Flags.string({ description: 'write one JSON line per item here (atomically, at the end)' }),
    'fail-under': Flags.string({ description: 'METRIC=VALUE: exit 3 when the metric misses it (repeatable)', multiple: true, multipleNonGreedy: true }),
    mlflow: Flags.string({ description: "also record the run in MLflow's file store DIR (mlflow ui --backend-store-uri DIR)" }),
    compare: Flags.boolean({ description: 'compare two results files: llm eval --compare A.json B.json', default: false }),
    src: Flags.string({ description: 'translation: source sentences, one per line (TASK may be left out)', helpGroup: 'TRANSLATION' }),
    ref: Flags.string({ description: 'translation: reference translations, line-aligned with --src', helpGroup: 'TRANSLATION' }),
    from: Flags.string({ description: 'translation: source language (default: the task\'s or the model\'s)', helpGroup: 'TRANSLATION' }),
    to: Flags.string({ description: 'translation: target language', helpGroup: 'TRANSLATION' }),
    ...beamFlags(),
    progress: progressFlag(),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Eval)
    if (flags.compare) return this.compare(args.task, args.other, flags.json)
    const taskName = args.task ?? (flags.src ? 'translation' : undefined)
    if (!taskName) throw usageError('missing TASK', { where: 'TASK', hint: `a built-in task (${[...Object.keys(BUILTIN_TASKS), ...Object.keys(TRANSLATION_TASKS)].join(', ')}), a task file or a data file` })
    if (args.other) throw usageError(`unexpected argument '${args.other}'`, { where: 'TASK', hint: 'one task per run (two files only with --compare)' })
    // the model, onnxruntime and run tracking (SQLite) load here, not at the top: `--compare` needs none of them
    const [{ Model }, { parseDevice }, { trackEval }] = await Promise.all([import('../core/model/index.js'), import('../core/runtime/ort.js'), import('../core/runs/track.js')])
    const device = parseDevice(flags.device)
    const task = resolveTask(taskName, {
      data: flags.data, format: flags.format, contextField: flags['context-field'], choicesField: flags['choices-field'],
      goldField: flags['gold-field'], targetField: flags['target-field'], textField: flags['text-field'],
      src: flags.src, ref: flags.ref, from: flags.from, to: flags.to,
    })
    const gates = (flags['fail-under'] ?? []).map((g) => parseGate(g, task.metrics))
    const start = new Date()
    if (task.type === 'translation') return this.translation(task, flags, gates, start, device)
    const model = await Model.load(flags.model, { device, threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype })
    const track = trackEval({
      task, modelDir: model.folder.dir, modelFile: model.folder.onnxFile, device: model.decoder.session.device,
      params: { limit: flags.limit ?? null, num_fewshot: flags['num-fewshot'] ?? task.numFewshot, batch_size: flags['batch-size'], seed: flags.seed, max_length: flags['max-length'] ?? null },
    }, { mlflow: flags.mlflow, llmVersion: this.config.version, command: 'llm eval' })
    try {
      // the bar starts at the first report, when the number of requests is known
      let bar: Progress | undefined
      const result = await runTask(model, task, {
        limit: flags.limit, numFewshot: flags['num-fewshot'], seed: flags.seed, batchSize: flags['batch-size'], maxLength: flags['max-length'],
        onProgress: (done, total) => { bar ??= createProgress(`eval ${task.name}`, total, flags.progress); bar.update(done) },
      })
      bar?.finish()
      const results = buildResults(result, {
        model: model.folder.dir, model_file: model.folder.onnxFile, batch_size: flags['batch-size'], num_fewshot: flags['num-fewshot'] ?? task.numFewshot,
        limit: flags.limit ?? null, seed: flags.seed, max_length: evalMaxLength(model, flags['max-length']), device: model.decoder.session.device,
      }, start, new Date(), this.config.version)
      // both files only once everything succeeded: a failed run leaves nothing half-written
      if (flags.output) writeFileAtomic(flags.output, JSON.stringify(results, null, 2) + '\n')
      if (flags['log-samples']) writeFileAtomic(flags['log-samples'], sampleLines(result))
      track.done(result.metrics, [flags.output, flags['log-samples']])
      if (flags.json) this.outJson(results)
      else this.out(summaryTable(result))
      const failed = checkGates(result, gates)
      for (const line of failed) this.note(`llm eval: gate failed: ${line}`)
      if (failed.length > 0) this.exit(EXIT.gate)
    } catch (err) {
      track.failed(err)
      throw err
    } finally {
      await model.release()
    }
  }

  /** a translation task: the model opens as a translator (llm translate's), the rest is as above */
  private async translation(task: TaskSpec, flags: Interfaces.InferredFlags<typeof Eval.flags>, gates: Gate[], start: Date, device: string): Promise<void> {
    const { openTranslator } = await import('../core/translate/index.js')
    const { buildResults, checkGates, runTranslationTask, sampleLines, summaryTable } = await import('../core/eval/index.js')
    const t = await openTranslator(flags.model, { from: task.translation?.sourceLang, to: task.translation?.targetLang, device, threads: flags.threads, adapter: flags.adapter, decode: beamSettings(flags) })
    try {
      let bar: Progress | undefined
      const result = await runTranslationTask(t, task, {
        limit: flags.limit, batchSize: flags['batch-size'],
        onProgress: (done, total) => { bar ??= createProgress(`eval ${task.name}`, total, flags.progress); bar.update(done) },
      })
      bar?.finish()
      const results = buildResults(result, {
        model: t.dir, model_file: t.modelFile, batch_size: flags['batch-size'], num_fewshot: 0, limit: flags.limit ?? null, seed: flags.seed, max_length: t.maxSourceTokens, device: t.device,
      }, start, new Date(), this.config.version)
      if (flags.output) writeFileAtomic(flags.output, JSON.stringify(results, null, 2) + '\n')
      if (flags['log-samples']) writeFileAtomic(flags['log-samples'], sampleLines(result))
      if (flags.json) this.outJson(results)
      else this.out(summaryTable(result))
      const failed = checkGates(result, gates)
      for (const line of failed) this.note(`llm eval: gate failed: ${line}`)
      if (failed.length > 0) this.exit(EXIT.gate)
    } finally {
      await t.close()
    }
  }

  private async compare(a: string | undefined, b: string | undefined, json: boolean): Promise<void> {
    if (!a || !b) throw usageError('--compare needs two results files', { where: '--compare', hint: 'llm eval --compare A.json B.json' })
    const rows = compareResults(readResults(a), readResults(b), a, b)
    if (json) this.outJson({ a, b, comparisons: rows })
    else this.out(comparisonTable(rows))
  }
}
