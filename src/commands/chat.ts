import { Flags } from '../cli/oclif.js'
import { createInterface } from 'node:readline'
import { basename } from 'node:path'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, runtimeFlags, samplingFlags } from '../cli/flags.js'
import { ChatSession, runPlainChat } from '../core/chat/index.js'
import { openGenerator } from '../core/generate/index.js'
import { pairParams, parseParams } from '../core/prompts/params.js'
import { generationDefaults, resolveTemplate, templateForChat, withDefaults } from '../core/prompts/index.js'
import { parseDevice } from '../core/runtime/ort.js'
import { modelsDir, repoIdOf } from '../core/store/index.js'
import { usageError } from '../core/errors.js'

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
    'cat sentences.txt | <%= config.bin %> chat -m ./chat-model -t translate -p target Spanish',
  ]

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name (default: $LLM_MODEL, else the bundled model)' }),
    system: Flags.string({ description: 'system prompt (change it in the chat with /system)' }),
    ...samplingFlags(),
    'max-tokens': intFlag({ char: 'n', description: 'most new tokens per answer', default: 256, min: 1 }),
    seed: intFlag({ description: 'sampling seed (turn k uses seed+k; default: random)', min: 0 }),
    ...runtimeFlags(),
    template: Flags.string({ char: 't', description: 'prompt template NAME or FILE: its system message, few-shot turns, and each message as its {{input}}' }),
    param: Flags.string({ char: 'p', description: 'template variable: -p KEY VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
    log: Flags.boolean({ description: 'log each turn to $LLM_HOME/llm.sqlite (see llm logs; --no-log or LLM_NO_LOG=1: do not)', default: true, allowNo: true }),
    plain: Flags.boolean({ description: 'plain mode even in a terminal (one answer per input line)', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Chat, pairParams(this.argv))
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.plain && !flags.json
    const device = parseDevice(flags.device)
    const tpl = flags.template === undefined ? undefined : resolveTemplate(flags.template)
    if (!tpl && flags.param?.length) throw usageError('-p sets template variables: give a template with -t', { where: '-p' })
    const template = tpl ? templateForChat(tpl, { params: parseParams(flags.param), system: flags.system }) : undefined
    if (interactive) this.note('loading model…')
    // The ink view needs a live event loop while tokens are computed: run the model in a worker there.
    const gen = await openGenerator(flags.model, { device, threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype, worker: interactive, onInfo: (l) => this.note(l) })
    const { RequestLog, generationRecord } = await import('../core/db/logs.js')
    const log = new RequestLog({ enabled: flags.log, onError: (e) => { if (!interactive) this.note(`llm chat: warning: turn not logged: ${e.message}`) } })
    try {
      const sampling = withDefaults(tpl ? generationDefaults(tpl.options).sampling : {}, { temperature: flags.temperature, topK: flags['top-k'], topP: flags['top-p'], minP: flags['min-p'], repeatPenalty: flags['repeat-penalty'], seed: flags.seed })
      const session = new ChatSession(gen, {
        system: template ? template.system : flags.system,
        maxTokens: flags['max-tokens'],
        sampling,
        template,
        onTurn: (t) => log.record(generationRecord({
          source: 'chat', modelDir: gen.info.dir, prompt: '', messages: t.messages, result: t.result, response: t.answer,
          startedAt: t.startedAt, durationMs: t.durationMs, options: { ...sampling, max_tokens: flags['max-tokens'] },
        })),
      })
      if (interactive) {
        // ink and React (~0.4 s to import) only for the full-screen chat, not for piped use
        const { runInkChat } = await import('../ui/chat/run.js')
        await runInkChat(session, modelLabel(gen.info.dir))
      } else {
        const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })
        await runPlainChat(session, lines, { json: flags.json, write: (s) => this.out(s) })
      }
    } finally {
      log.close()
      await gen.close()
    }
  }
}

/** `owner/name` for a model in the store, else the folder's name. */
function modelLabel(dir: string): string {
  return dir.startsWith(modelsDir() + '/') ? repoIdOf(basename(dir)) : basename(dir)
}
