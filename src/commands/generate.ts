import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { readPipedStdin } from '../cli/stdin.js'
import { intFlag, samplingFlags, runtimeFlags, samplingFlag } from '../cli/flags.js'
import { beamFlags, beamSettings } from '../cli/beam-flags.js'
import { DEFAULT_MAX_TOKENS, openGenerator, type ChatMessage, type Prompt, type SamplingParams } from '../core/generate/index.js'
import { pairParams, parseParams } from '../core/prompts/params.js'
import { buildPrompt, generationDefaults, resolveTemplate, withDefaults } from '../core/prompts/index.js'
import { parseDevice } from '../core/runtime/ort.js'
import { usageError } from '../core/errors.js'

export default class Generate extends BaseCommand {
  static override summary = 'Generate text from a prompt with a local model (streams to stdout).'
  static override description =
    'The prompt is piped stdin followed by PROMPT (either may be absent). Raw prompts get the tokenizer\'s own special tokens (BOS); --chat or --system wraps the prompt as a user message in the model\'s chat template. ' +
    'Sampling flags left unset come from the model\'s generation_config.json, else llama.cpp\'s defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05); the chain runs penalties → top-k → top-p → min-p → temperature → draw. ' +
    'Generation ends at EOS (generation_config.json), a --stop string (not printed), --max-tokens, or the context length. ' +
    '--num-beams N > 1 runs Hugging Face\'s beam search instead of sampling (the best hypothesis is printed at the end; --json lists --num-return-sequences of them with their scores).'

  static override examples = [
    '<%= config.bin %> generate -m ./my-model "Once upon a time"',
    '<%= config.bin %> generate -m ./my-model --temperature 0 -n 200 ""',
    'cat notes.txt | <%= config.bin %> generate -m ./chat-model --system "Summarize the text." --stop "\\n\\n"',
    '<%= config.bin %> generate -m ./my-model --seed 42 --json "Hello"',
    'cat letter.txt | <%= config.bin %> generate -m ./chat-model -t translate -p target German',
  ]

  static override args = {
    prompt: Args.string({ description: 'prompt text (appended to piped stdin)', ignoreStdin: true }),
  }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    ...samplingFlags(),
    'max-tokens': intFlag({ char: 'n', description: `most new tokens (default: generation_config.json max_new_tokens, else ${DEFAULT_MAX_TOKENS})`, min: 0 }),
    'presence-penalty': samplingFlag('presence-penalty', 'subtract from logits of tokens seen in the last 64 (0 = off)'),
    'frequency-penalty': samplingFlag('frequency-penalty', 'subtract count x this from logits (0 = off)'),
    stop: Flags.string({ description: 'stop when this text appears (not printed); repeat the flag for several; \\n and \\t are understood', multiple: true, multipleNonGreedy: true }),
    system: Flags.string({ description: 'system message (implies --chat)' }),
    chat: Flags.boolean({ description: "wrap the prompt in the model's chat template as a user message", default: false }),
    template: Flags.string({ char: 't', description: 'prompt template NAME or FILE: the input becomes its {{input}} (see llm templates list)' }),
    param: Flags.string({ char: 'p', description: 'template variable: -p KEY VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
    ...runtimeFlags(),
    log: Flags.boolean({ description: 'log the request to $LLM_HOME/llm.sqlite (see llm logs; --no-log or LLM_NO_LOG=1: do not)', default: true, allowNo: true }),
    'on-overflow': Flags.option({ options: ['error', 'truncate'] as const, description: 'a prompt longer than the context: fail, or drop its start', default: 'error' })(),
    ...beamFlags(),
    'num-return-sequences': intFlag({ description: 'beam search: hypotheses to return, best first (--json lists them all)', min: 1, helpGroup: 'BEAM SEARCH' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Generate, pairParams(this.argv))
    const device = parseDevice(flags.device)
    const stdin = await readPipedStdin()
    if (stdin === undefined && args.prompt === undefined) {
      this.note('usage: llm generate [PROMPT] (or pipe the prompt on stdin); see llm generate --help')
      this.exit(2)
    }
    const text = joinPrompt(stdin, args.prompt)
    const chat = flags.chat || flags.system !== undefined
    const messages: ChatMessage[] = [...(flags.system !== undefined ? [{ role: 'system', content: flags.system }] : []), { role: 'user', content: text }]
    let prompt: Prompt = chat ? { messages } : text
    const template = flags.template === undefined ? undefined : resolveTemplate(flags.template)
    if (!template && flags.param?.length) throw usageError('-p sets template variables: give a template with -t', { where: '-p' })

    const sampling: Partial<SamplingParams> = {
      temperature: flags.temperature, topK: flags['top-k'], topP: flags['top-p'], minP: flags['min-p'], repeatPenalty: flags['repeat-penalty'],
      presencePenalty: flags['presence-penalty'], frequencyPenalty: flags['frequency-penalty'], seed: flags.seed,
    }
    const beam = beamSettings(flags)
    if ((beam.numBeams ?? 1) > 1) {
      const sampled = (['temperature', 'top-k', 'top-p', 'min-p', 'seed'] as const).find((f) => flags[f] !== undefined)
      if (sampled) throw usageError(`--${sampled} does not apply to beam search`, { where: `--${sampled}`, hint: 'beam search here is deterministic; drop --num-beams to sample' })
    }
    const gen = await openGenerator(flags.model, { device, threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype, onInfo: (l) => this.note(l) })
    const { RequestLog, generationRecord } = await import('../core/db/logs.js')
    const log = new RequestLog({ enabled: flags.log, onError: (e) => this.note(`llm generate: warning: request not logged: ${e.message}`) })
    const startedAt = new Date()
    // a template: the input goes in as its delimited {{input}}; its options fill unset flags
    const built = template ? buildPrompt(template, { input: text, params: parseParams(flags.param), system: flags.system, chat: gen.info.hasChatTemplate || chat }) : undefined
    const defaults = built ? generationDefaults(built.options) : { sampling: {} }
    if (built) prompt = built.prompt
    try {
      const r = await gen.generate(prompt, {
        maxTokens: flags['max-tokens'] ?? defaults.maxTokens,
        sampling: withDefaults(defaults.sampling, sampling),
        stop: flags.stop ? flags.stop.map(unescape) : defaults.stop ?? [],
        onOverflow: flags['on-overflow'],
        beam,
        onText: flags.json ? undefined : (t) => this.out(t),
      })
      log.record(generationRecord({
        source: 'generate', modelDir: gen.info.dir, prompt: text, messages: sentMessages(built?.prompt ?? prompt), result: r, startedAt, durationMs: Date.now() - startedAt.getTime(),
        options: { ...sampling, max_tokens: flags['max-tokens'], stop: flags.stop?.map(unescape) },
      }))
      if (flags.json) {
        this.outJson({ text: r.text, prompt_ids: r.prompt_ids, ids: r.ids, finish_reason: r.finish_reason, timings: r.timings, ...(r.sequences ? { sequences: r.sequences } : {}) })
      } else if (process.stdout.isTTY && !r.text.endsWith('\n')) {
        this.out('\n')
      }
    } finally {
      log.close()
      await gen.close()
    }
  }
}

/** the conversation a prompt sent, for the request log (none for a raw prompt) */
function sentMessages(p: Prompt): ChatMessage[] | undefined {
  return typeof p === 'object' && 'messages' in p ? [...p.messages] : undefined
}

/** stdin first, then the argument; a newline between them unless stdin already ends with one. */
function joinPrompt(stdin: string | undefined, arg: string | undefined): string {
  if (stdin === undefined || stdin === '') return arg ?? ''
  if (arg === undefined || arg === '') return stdin
  return stdin.endsWith('\n') ? stdin + arg : `${stdin}\n${arg}`
}

/** `--stop "\n\n"` arrives from the shell as backslash-n: read the common escapes. */
function unescape(s: string): string {
  return s.replace(/\\(n|t|r|\\)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\' })[c]!)
}
