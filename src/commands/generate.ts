import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { readPipedStdin } from '../cli/stdin.js'
import { parseNumberFlag, runtimeFlags, type NumberFlagName } from '../cli/flags.js'
// Light imports only at the top: onnxruntime and the tokenizers load inside run(), so --help and
// flag errors stay fast.
import { DEFAULT_MAX_TOKENS } from '../core/generate/generator.js'
import type { ChatMessage, Prompt, SamplingParams } from '../core/generate/index.js'

/** Number flags are parsed in run(): an error thrown inside oclif's parse gets a second line. */
function numberFlag(name: NumberFlagName, input: string | undefined): number | undefined {
  return input === undefined ? undefined : parseNumberFlag(name, input)
}

export default class Generate extends BaseCommand {
  static override summary = 'Generate text from a prompt with a local model (streams to stdout).'
  static override description =
    'The prompt is piped stdin followed by PROMPT (either may be absent). Raw prompts get the tokenizer\'s own special tokens (BOS); --chat or --system wraps the prompt as a user message in the model\'s chat template. ' +
    'Sampling flags left unset come from the model\'s generation_config.json, else llama.cpp\'s defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05); the chain runs penalties → top-k → top-p → min-p → temperature → draw. ' +
    'Generation ends at EOS (generation_config.json), a --stop string (not printed), --max-tokens, or the context length.'

  static override examples = [
    '<%= config.bin %> generate -m ./my-model "Once upon a time"',
    '<%= config.bin %> generate -m ./my-model --temperature 0 -n 200 ""',
    'cat notes.txt | <%= config.bin %> generate -m ./chat-model --system "Summarize the text." --stop "\\n\\n"',
    '<%= config.bin %> generate -m ./my-model --seed 42 --json "Hello"',
  ]

  static override args = {
    prompt: Args.string({ description: 'prompt text (appended to piped stdin)', ignoreStdin: true }),
  }

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    'max-tokens': Flags.integer({ char: 'n', description: `most new tokens (default: generation_config.json max_new_tokens, else ${DEFAULT_MAX_TOKENS})`, min: 0 }),
    temperature: Flags.string({ description: 'sampling temperature; 0 = greedy' }),
    'top-k': Flags.integer({ description: 'keep the K most likely tokens (0 = off)', min: 0 }),
    'top-p': Flags.string({ description: 'nucleus: keep the top tokens holding this probability mass (1 = off)' }),
    'min-p': Flags.string({ description: 'drop tokens less likely than MIN_P x the top one (0 = off)' }),
    'repeat-penalty': Flags.string({ description: 'divide positive / multiply negative logits of the last 64 tokens (1 = off)' }),
    'presence-penalty': Flags.string({ description: 'subtract from logits of tokens seen in the last 64 (0 = off)' }),
    'frequency-penalty': Flags.string({ description: 'subtract count x this from logits (0 = off)' }),
    seed: Flags.integer({ description: 'sampling seed: the same seed gives the same text (default: random)', min: 0 }),
    stop: Flags.string({ description: 'stop when this text appears (not printed); repeat the flag for several; \\n and \\t are understood', multiple: true, multipleNonGreedy: true }),
    system: Flags.string({ description: 'system message (implies --chat)' }),
    chat: Flags.boolean({ description: "wrap the prompt in the model's chat template as a user message", default: false }),
    ...runtimeFlags(),
    'on-overflow': Flags.option({ options: ['error', 'truncate'] as const, description: 'a prompt longer than the context: fail, or drop its start', default: 'error' })(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Generate)
    const { parseDevice } = await import('../core/runtime/ort.js')
    const { openGenerator } = await import('../core/generate/index.js')
    const device = parseDevice(flags.device)
    const stdin = await readPipedStdin()
    if (stdin === undefined && args.prompt === undefined) {
      this.note('usage: llm generate [PROMPT] (or pipe the prompt on stdin); see llm generate --help')
      this.exit(2)
    }
    const text = joinPrompt(stdin, args.prompt)
    const chat = flags.chat || flags.system !== undefined
    const messages: ChatMessage[] = [...(flags.system !== undefined ? [{ role: 'system', content: flags.system }] : []), { role: 'user', content: text }]
    const prompt: Prompt = chat ? { messages } : text

    const sampling: Partial<SamplingParams> = {
      temperature: numberFlag('temperature', flags.temperature), topK: flags['top-k'], topP: numberFlag('top-p', flags['top-p']),
      minP: numberFlag('min-p', flags['min-p']), repeatPenalty: numberFlag('repeat-penalty', flags['repeat-penalty']),
      presencePenalty: numberFlag('presence-penalty', flags['presence-penalty']),
      frequencyPenalty: numberFlag('frequency-penalty', flags['frequency-penalty']), seed: flags.seed,
    }
    const gen = await openGenerator(flags.model, { device, threads: flags.threads, dtype: flags.dtype, onInfo: (l) => this.note(l) })
    try {
      const r = await gen.generate(prompt, {
        maxTokens: flags['max-tokens'],
        sampling,
        stop: (flags.stop ?? []).map(unescape),
        onOverflow: flags['on-overflow'],
        onText: flags.json ? undefined : (t) => this.out(t),
      })
      if (flags.json) {
        this.outJson({ text: r.text, prompt_ids: r.prompt_ids, ids: r.ids, finish_reason: r.finish_reason, timings: r.timings })
      } else if (process.stdout.isTTY && !r.text.endsWith('\n')) {
        this.out('\n')
      }
    } finally {
      await gen.close()
    }
  }
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
