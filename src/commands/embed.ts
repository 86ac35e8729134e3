import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, deviceFlags } from '../cli/flags.js'
import { readPipedStdin } from '../cli/stdin.js'
import { usageError } from '../core/errors.js'
import { openEmbedder } from '../core/embed/index.js'
import { readRecords } from '../core/classify/index.js'
import { parseDevice } from '../core/runtime/ort.js'

export default class Embed extends BaseCommand {
  static override summary = 'Turn texts into embedding vectors (one JSON array per line, or --json).'
  static override description =
    'Texts are the TEXT arguments, else piped stdin: one text per line, or JSON Lines objects (their --text-field) when the first line starts with "{". ' +
    'Encoder models (BERT / sentence-transformers folders in the transformers.js feature-extraction layout: onnx/model.onnx with last_hidden_state, WordPiece tokenizer.json) ' +
    'are mean-pooled over the attention mask (or as 1_Pooling/config.json says) and L2-normalised, as sentence-transformers does. ' +
    'Decoder models are mean- or last-token-pooled over their final hidden state (the graph output last_hidden_state). ' +
    'Default model: $LLM_EMBED_MODEL, else the bundled character-level Shakespeare decoder — its vectors reflect spelling and style, not meaning: ' +
    'fine for near-duplicates and for trying the pipeline, not for semantic search (pull a sentence-transformers model for that).'

  static override examples = [
    '<%= config.bin %> embed "first text" "second text"',
    'cat lines.txt | <%= config.bin %> embed -m ./all-MiniLM-L6-v2 > vectors.jsonl',
    '<%= config.bin %> embed --json --pooling last "Hello"',
  ]

  static override args = { text: Args.string({ description: 'texts to embed (else piped stdin)', ignoreStdin: true }) }
  static override strict = false

  static override flags = {
    model: Flags.string({ char: 'm', description: 'embedding model folder or store name (default: $LLM_EMBED_MODEL, else the bundled model)' }),
    pooling: Flags.option({ options: ['mean', 'cls', 'last'] as const, description: 'pooling (default: the folder\'s 1_Pooling config, else mean)' })(),
    'no-normalize': Flags.boolean({ description: 'skip L2 normalisation', default: false }),
    'text-field': Flags.string({ description: 'JSON Lines field holding the text', default: 'text' }),
    'batch-size': intFlag({ description: 'texts per forward pass', default: 16, min: 1 }),
    ...deviceFlags(),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Embed)
    let texts = argv as string[]
    if (texts.length === 0) {
      const stdin = await readPipedStdin()
      if (stdin === undefined) throw usageError('missing TEXT', { where: 'TEXT', hint: 'llm embed "some text" (or pipe lines / JSON Lines on stdin)' })
      texts = readRecords(stdin, 'stdin', flags['text-field'], stdin.trimStart().startsWith('{') ? 'jsonl' : 'txt').map((r) => r.text)
    }
    const emb = await openEmbedder(flags.model, { pooling: flags.pooling, normalize: !flags['no-normalize'], device: parseDevice(flags.device), threads: flags.threads })
    try {
      const vecs = await emb.embed(texts, { batchSize: flags['batch-size'] })
      const round = (v: Float32Array) => Array.from(v, (x) => Number(x.toPrecision(7)))
      if (flags.json) this.outJson({ model: emb.info.model, kind: emb.info.kind, pooling: emb.info.pooling, normalized: emb.info.normalize, dim: emb.info.dim, vectors: vecs.map(round) })
      else this.out(vecs.map((v) => JSON.stringify(round(v)) + '\n').join(''))
    } finally {
      await emb.close()
    }
  }
}
