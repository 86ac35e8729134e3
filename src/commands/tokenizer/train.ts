import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { intFlag, progressFlag } from '../../cli/flags.js'
import { createProgress, type Progress } from '../../cli/progress.js'
import { writeFileAtomic } from '../../core/atomic.js'
import { usageError } from '../../core/errors.js'
import { readPipedStdin } from '../../cli/stdin.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trainTokenizer } from '../../tokenizer/train/index.js'

export default class TokenizerTrain extends BaseCommand {
  static override summary = 'Train a byte-level BPE tokenizer and write a Hugging Face tokenizer.json.'
  static override description = [
    'Like Hugging Face BpeTrainer / minbpe RegexTokenizer: text is split with a pre-tokenizer regex (GPT-4\'s cl100k',
    'pattern by default), then the most frequent adjacent pair is merged until the vocabulary is full (ties: the',
    'smaller token ids). Ids 0-255 are the bytes, merged tokens follow, special tokens come last.',
    'FILES are plain text (each file one document) or .jsonl (one {"text": ...} per line); without FILES, text piped on stdin is one document.',
    'The tokenizer.json loads unchanged in Hugging Face tokenizers and transformers.js.',
  ].join(' ')

  static override examples = [
    '<%= config.bin %> tokenizer train input.txt --vocab-size 4096 --out tokenizer.json',
    '<%= config.bin %> tokenizer train docs.jsonl more.txt --vocab-size 32000 --special-tokens "<|endoftext|>,<|pad|>" --out tok/tokenizer.json',
    '<%= config.bin %> tokenizer train input.txt --vocab-size 1024 --pattern gpt2 --min-frequency 5 --out tokenizer.json --json',
    'cat *.md | <%= config.bin %> tokenizer train --vocab-size 2048 --out tokenizer.json',
  ]

  static override strict = false
  static override args = {
    files: Args.string({ description: 'training files: text, or .jsonl with a "text" field (one or more)', ignoreStdin: true }),
  }

  static override flags = {
    'vocab-size': intFlag({ description: 'final vocabulary size, special tokens included (at least 256 + specials)', required: true, min: 1 }),
    out: Flags.string({ char: 'o', description: 'where to write tokenizer.json (written atomically)', required: true }),
    'min-frequency': intFlag({ description: 'stop merging when the best pair occurs fewer times than this', default: 2, min: 0 }),
    'special-tokens': Flags.string({ description: 'comma-separated special tokens, appended after the merged tokens (e.g. "<|endoftext|>")' }),
    pattern: Flags.string({ description: 'pre-tokenizer split: gpt4 (cl100k), gpt2, or a regex (Rust/Oniguruma syntax)', default: 'gpt4' }),
    progress: progressFlag(),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(TokenizerTrain)
    let files = argv as string[]
    // no FILES: piped stdin is the corpus (one document), staged in a temp file for the file reader
    let staged: string | undefined
    if (files.length === 0) {
      const text = await readPipedStdin()
      if (text) {
        staged = mkdtempSync(join(tmpdir(), 'llm-tokenizer-train-'))
        writeFileAtomic(join(staged, 'stdin.txt'), text)
        files = [join(staged, 'stdin.txt')]
      }
    }
    const specialTokens = flags['special-tokens'] === undefined ? [] : flags['special-tokens'].split(',')
    if (flags.out.endsWith('/')) throw usageError('--out must be a file path, not a folder', { where: '--out', hint: 'e.g. --out my-tokenizer/tokenizer.json' })
    const mode = flags.progress
    let bar: Progress | undefined
    let phase = ''
    const train = (): ReturnType<typeof trainTokenizer> => trainTokenizer(files, {
      vocabSize: flags['vocab-size'],
      minFrequency: flags['min-frequency'],
      specialTokens,
      pattern: flags.pattern,
      out: flags.out,
      onProgress: (p, done, total) => {
        if (p !== phase) {
          bar?.finish()
          bar = createProgress(p === 'read' ? 'reading' : 'merging', total, mode)
          phase = p
        }
        bar!.update(done)
      },
    })
    let summary: ReturnType<typeof trainTokenizer>
    try {
      summary = train()
    } finally {
      if (staged) rmSync(staged, { recursive: true, force: true })
    }
    bar?.finish()
    const result = {
      out: flags.out,
      vocab_size: summary.vocabSize,
      merges: summary.merges,
      special_tokens: specialTokens,
      pattern: flags.pattern,
      documents: summary.documents,
      bytes: summary.bytes,
      pieces: summary.pieces,
      unique_pieces: summary.uniquePieces,
      stopped_early: summary.stoppedEarly,
      seconds: Number(summary.seconds.toFixed(3)),
    }
    if (flags.json) {
      this.outJson(result)
      return
    }
    if (summary.stoppedEarly) this.note(`note: stopped at ${summary.vocabSize} tokens: no pair occurs ${flags['min-frequency']} times or more (lower --min-frequency or add text)`)
    this.out(`wrote ${flags.out}: ${summary.vocabSize} tokens (${summary.merges} merges) from ${summary.documents} documents, ${summary.bytes} bytes in ${result.seconds}s\n`)
  }
}
