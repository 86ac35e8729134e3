import { Args, Flags } from '../cli/oclif.js'
import chalk from 'chalk'
import { BaseCommand } from '../cli/base-command.js'
import { useColor } from '../cli/color.js'
import { usageError } from '../core/errors.js'
import { countStream, encodeOptions, encodeStream, openTokenizer, parseIds, readText, tokenStrings } from '../core/tokenize/index.js'

export default class Tokenize extends BaseCommand {
  static override summary = 'Turn text into token ids (or ids back into text).'
  static override description =
    'Reads TEXT, or stdin verbatim when piped (a trailing newline included). Without --add-special, ids equal Hugging Face encode(text, add_special_tokens=False). Special-token text in the input stays ordinary text unless --special.'

  static override examples = [
    '<%= config.bin %> tokenize --encoding cl100k_base "Hello, world!"',
    'cat notes.txt | <%= config.bin %> tokenize --tokenizer ./my-model --count',
    '<%= config.bin %> tokenize --tokenizer tokenizer.json --ids "Hi" | <%= config.bin %> tokenize --tokenizer tokenizer.json --decode',
  ]

  static override args = {
    text: Args.string({ description: 'text to tokenize (or, with --decode, a JSON array of ids); default: stdin', ignoreStdin: true }),
  }

  static override flags = {
    tokenizer: Flags.string({ char: 't', description: 'tokenizer.json, model folder, SentencePiece .model, llama2.c .bin or .tiktoken file' }),
    encoding: Flags.string({ char: 'e', description: 'tiktoken encoding: r50k_base, p50k_base, cl100k_base, o200k_base' }),
    ids: Flags.boolean({ description: 'print one JSON array of ids', exclusive: ['count', 'decode'] }),
    count: Flags.boolean({ description: 'print the number of tokens', exclusive: ['ids', 'decode'] }),
    decode: Flags.boolean({ description: 'read a JSON array of ids and print the text' }),
    'add-special': Flags.boolean({ description: "add the tokenizer's special tokens (BOS, …) as its post-processor does" }),
    special: Flags.boolean({ description: 'let special-token text in the input (e.g. "<|endoftext|>") become control tokens' }),
    'skip-special': Flags.boolean({ description: 'with --decode: drop special tokens from the text' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Tokenize)
    const piped = args.text === undefined && !process.stdin.isTTY
    if (args.text === undefined && !piped) {
      throw usageError('no input: give TEXT or pipe text on stdin', { hint: 'llm tokenize --help' })
    }
    const tok = await openTokenizer({ tokenizer: flags.tokenizer, encoding: flags.encoding })
    const opts = encodeOptions({ addSpecialTokens: flags['add-special'], allowSpecial: flags.special })

    if (flags.decode) {
      const input = args.text ?? (await readText(process.stdin))
      const ids = parseIds(input, tok.vocabSize, args.text === undefined ? '<stdin>' : 'TEXT')
      const text = tok.decode(ids, { skipSpecialTokens: flags['skip-special'] })
      if (flags.json) this.outJson({ text, ids, count: ids.length })
      else this.out(text + (process.stdout.isTTY ? '\n' : ''))
      return
    }

    // stdin is tokenized in pieces as it arrives (bounded memory) where only ids or a count are asked for
    const source = args.text !== undefined ? [args.text] : process.stdin
    if (flags.count && !flags.json) {
      this.out(`${await countStream(tok, source, opts)}\n`)
      return
    }
    if (flags.ids && !flags.json) {
      let first = true
      for await (const ids of encodeStream(tok, source, opts)) {
        if (ids.length === 0) continue
        await write((first ? '[' : ',') + ids.join(','))
        first = false
      }
      this.out(first ? '[]\n' : ']\n')
      return
    }
    const ids = tok.encode(args.text ?? (await readText(process.stdin)), opts)
    const tokens = tokenStrings(tok, ids)
    if (flags.json) this.outJson({ ids, tokens, count: ids.length })
    else this.out(renderTokens(ids, tokens, useColor()))
  }
}

/** write to stdout, waiting while its buffer is full (a slow reader must not cost memory) */
function write(text: string): Promise<void> {
  return new Promise((resolve) => { if (process.stdout.write(text)) resolve(); else process.stdout.once('drain', resolve) })
}

/** One token per line: id, then the piece as a JSON string (so whitespace and control bytes show). */
function renderTokens(ids: number[], tokens: string[], color: boolean): string {
  const palette = [chalk.bgBlue.white, chalk.bgMagenta.white, chalk.bgGreen.black, chalk.bgYellow.black]
  const lines = ids.map((id, i) => {
    const piece = JSON.stringify(tokens[i])
    return color ? `${chalk.dim(String(id).padStart(6))}  ${palette[i % palette.length](piece)}` : `${String(id).padStart(6)}  ${piece}`
  })
  return lines.join('\n') + (lines.length ? '\n' : '') + (color ? chalk.dim(`${ids.length} tokens\n`) : '')
}
