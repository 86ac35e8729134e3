import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { progressFlag, runtimeFlags } from '../cli/flags.js'
import { createProgress, type Progress } from '../cli/progress.js'
import { writeFileAtomic } from '../core/atomic.js'
import { EXIT, usageError } from '../core/errors.js'
// Light imports only at the top (oclif loads every command's file to run any one of them): the
// model, onnxruntime and the scorers load in run().
import { BUILTIN_TASKS } from '../core/eval/tasks.js'

export default class Eval extends BaseCommand {
  static override summary = 'Evaluate a model: perplexity, multiple choice, cloze and generation tasks, with CI gates.'
  static override description =
    `TASK is a built-in task (${Object.keys(BUILTIN_TASKS).join(', ')}; data from ../shared/data or --data), a task file (.yaml/.json) or a data file: ` +
    '.txt is perplexity; .jsonl lines {query, choices, gold} are zero-shot multiple choice (context = query, continuation = " " + choice), ' +
    '{ctx, endings, label} HellaSwag, {context, continuation} cloze, {prompt, completion} generation, {text} perplexity. ' +
    'Scores do not depend on --batch-size. --fail-under exits with code 3 when a metric misses (below VALUE; above it for perplexities and bits_per_byte). ' +
    '--compare A.json B.json prints each shared metric\'s difference with a 95% paired-bootstrap interval, from the per-item scores stored in --output files.'

  static override examples = [
    '<%= config.bin %> eval arc_easy -m ./my-model --limit 200',
    '<%= config.bin %> eval items.jsonl -m ./my-model --batch-size 8 --output results.json --log-samples samples.jsonl',
    '<%= config.bin %> eval wikitext -m ./my-model --limit 20 --fail-under word_perplexity=80',
    '<%= config.bin %> eval data.jsonl --format multiple_choice --context-field question --choices-field options --gold-field answer',
    '<%= config.bin %> eval --compare before.json after.json',
  ]

  static override args = {
    task: Args.string({ description: 'built-in task name, task file, or data file (with --compare: results file A)', ignoreStdin: true }),
    other: Args.string({ description: 'with --compare: results file B', ignoreStdin: true }),
  }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    limit: Flags.integer({ description: 'evaluate only the first N items', min: 1 }),
    'num-fewshot': Flags.integer({ description: 'few-shot examples per item (default: the task\'s, else 0)', min: 0 }),
    'batch-size': Flags.integer({ description: 'sequences per forward pass', default: 1, min: 1 }),
    seed: Flags.integer({ description: 'seed of the few-shot sampler', default: 1234, min: 0 }),
    data: Flags.string({ description: 'data file for a built-in task or task file' }),
    format: Flags.option({ options: ['multiple_choice', 'hellaswag', 'cloze', 'perplexity', 'generate'] as const, description: 'shape of a bare data file (default: from its fields)' })(),
    'context-field': Flags.string({ description: 'field holding the context / prompt' }),
    'choices-field': Flags.string({ description: 'field holding the list of choices' }),
    'gold-field': Flags.string({ description: 'field holding the gold choice (index or text)' }),
    'target-field': Flags.string({ description: 'field holding the cloze continuation / generation reference' }),
    'text-field': Flags.string({ description: 'field holding the text of a perplexity JSONL file', default: 'text' }),
    'max-length': Flags.integer({ description: 'model context in tokens (default: config.json max_position_embeddings)', min: 2 }),
    output: Flags.string({ char: 'o', description: 'write the results JSON here (atomically, at the end)' }),
    'log-samples': Flags.string({ description: 'write one JSON line per item here (atomically, at the end)' }),
    'fail-under': Flags.string({ description: 'METRIC=VALUE: exit 3 when the metric misses it (repeatable)', multiple: true, multipleNonGreedy: true }),
    compare: Flags.boolean({ description: 'compare two results files: llm eval --compare A.json B.json', default: false }),
    progress: progressFlag(),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Eval)
    if (flags.compare) return this.compare(args.task, args.other, flags.json)
    const { Model } = await import('../core/model/index.js')
    const { parseDevice } = await import('../core/runtime/ort.js')
    const { buildResults, checkGates, evalMaxLength, parseGate, resolveTask, runTask, sampleLines, summaryTable } = await import('../core/eval/index.js')
    if (!args.task) throw usageError('missing TASK', { where: 'TASK', hint: `a built-in task (${Object.keys(BUILTIN_TASKS).join(', ')}), a task file or a data file` })
    if (args.other) throw usageError(`unexpected argument '${args.other}'`, { where: 'TASK', hint: 'one task per run (two files only with --compare)' })
    const device = parseDevice(flags.device)
    const task = resolveTask(args.task, {
      data: flags.data, format: flags.format, contextField: flags['context-field'], choicesField: flags['choices-field'],
      goldField: flags['gold-field'], targetField: flags['target-field'], textField: flags['text-field'],
    })
    const gates = (flags['fail-under'] ?? []).map((g) => parseGate(g, task.metrics))
    const start = new Date()
    const model = await Model.load(flags.model, { device, threads: flags.threads, dtype: flags.dtype })
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
      if (flags.json) this.outJson(results)
      else this.out(summaryTable(result))
      const failed = checkGates(result, gates)
      for (const line of failed) this.note(`llm eval: gate failed: ${line}`)
      if (failed.length > 0) this.exit(EXIT.gate)
    } finally {
      await model.release()
    }
  }

  private async compare(a: string | undefined, b: string | undefined, json: boolean): Promise<void> {
    if (!a || !b) throw usageError('--compare needs two results files', { where: '--compare', hint: 'llm eval --compare A.json B.json' })
    const { compareResults, comparisonTable, readResults } = await import('../core/eval/index.js')
    const rows = compareResults(readResults(a), readResults(b), a, b)
    if (json) this.outJson({ a, b, comparisons: rows })
    else this.out(comparisonTable(rows))
  }
}
