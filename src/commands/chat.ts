import { Flags } from '@oclif/core'
import { createInterface } from 'node:readline'
import { basename } from 'node:path'
import { BaseCommand } from '../cli/base-command.js'
import { parseNumberFlag, runtimeFlags, type NumberFlagName } from '../cli/flags.js'
import { ChatSession, runPlainChat } from '../core/chat/index.js'
import { modelsDir, repoIdOf } from '../core/store/paths.js'

/** A number flag with a range check that names the flag on error (the same rules as `llm generate`). */
const num = (name: NumberFlagName, description: string) =>
  Flags.custom<number>({ description, parse: async (input) => parseNumberFlag(name, input) })()

export default class Chat extends BaseCommand {
  static override summary = 'Chat with a local model (interactive in a terminal, one answer per line when piped).'
  static override description = [
    'In a terminal (stdin and stdout both TTYs): a full-screen chat. Enter sends; Alt+Enter, Ctrl+J, Shift+Enter (terminals with the kitty keyboard protocol)',
    'or a trailing "\\" start a new line; Up/Down recall earlier inputs; Ctrl+C stops an answer, Ctrl+D or /exit leaves.',
    'Commands: /system TEXT, /clear, /save FILE, /load FILE, /help, /exit ("//" sends a literal "/").',
    'Piped (plain mode): every stdin line is the next user message of one conversation and stdout gets exactly one line per input line:',
    'the answer with newlines written as \\n and backslashes as \\\\ (a blank input line gives a blank line); with --json, one JSON object per line',
    '{prompt, answer, finish_reason, tokens, tokens_per_second, context_used, context_max, dropped}.',
    "A model with a chat template gets it; one without gets a plain \"User: …\\nAssistant:\" transcript. Older turns are left out of the prompt",
    'when the conversation outgrows the context (the system prompt stays). With --seed, turn k uses seed+k, so a replayed conversation repeats.',
  ].join(' ')

  static override examples = [
    '<%= config.bin %> chat -m ./my-model',
    '<%= config.bin %> chat -m OWNER/NAME --system "You are terse." --temperature 0.3',
    'printf "Hi\\nWhat did I just say?\\n" | <%= config.bin %> chat -m ./my-model --temperature 0',
    'cat questions.txt | <%= config.bin %> chat -m ./my-model --json > answers.jsonl',
  ]

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    system: Flags.string({ description: 'system prompt (change it in the chat with /system)' }),
    'max-tokens': Flags.integer({ char: 'n', description: 'most new tokens per answer', default: 256, min: 1 }),
    temperature: num('temperature', 'sampling temperature; 0 = greedy'),
    'top-k': Flags.integer({ description: 'keep the K most likely tokens (0 = off)', min: 0 }),
    'top-p': num('top-p', 'nucleus: keep the top tokens holding this probability mass (1 = off)'),
    'min-p': num('min-p', 'drop tokens less likely than MIN_P x the top one (0 = off)'),
    'repeat-penalty': num('repeat-penalty', 'penalize the last 64 tokens (1 = off)'),
    seed: Flags.integer({ description: 'sampling seed (turn k uses seed+k; default: random)', min: 0 }),
    ...runtimeFlags(),
    plain: Flags.boolean({ description: 'plain mode even in a terminal (one answer per input line)', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Chat)
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.plain && !flags.json
    // Loaded here, not at the top: `llm chat --help` and flag errors stay fast.
    const { parseDevice } = await import('../core/runtime/ort.js')
    const { openGenerator } = await import('../core/generate/index.js')
    const device = parseDevice(flags.device)
    if (interactive) this.note('loading model…')
    // The ink view needs a live event loop while tokens are computed: run the model in a worker there.
    const gen = await openGenerator(flags.model, { device, threads: flags.threads, dtype: flags.dtype, worker: interactive, onInfo: (l) => this.note(l) })
    try {
      const session = new ChatSession(gen, {
        system: flags.system,
        maxTokens: flags['max-tokens'],
        sampling: { temperature: flags.temperature, topK: flags['top-k'], topP: flags['top-p'], minP: flags['min-p'], repeatPenalty: flags['repeat-penalty'], seed: flags.seed },
      })
      if (interactive) {
        const { runInkChat } = await import('../ui/chat/run.js')
        await runInkChat(session, modelLabel(gen.info.dir))
      } else {
        const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })
        await runPlainChat(session, lines, { json: flags.json, write: (s) => this.out(s) })
      }
    } finally {
      await gen.close()
    }
  }
}

/** `owner/name` for a model in the store, else the folder's name. */
function modelLabel(dir: string): string {
  return dir.startsWith(modelsDir() + '/') ? repoIdOf(basename(dir)) : basename(dir)
}
