import { readFileSync } from 'node:fs'
import { Args, Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, deviceFlags } from '../cli/flags.js'
import { fileError, usageError } from '../core/errors.js'
import { readRecords } from '../core/classify/index.js'
import { openEmbedder } from '../core/embed/index.js'
import { autoK, central, kmeans, silhouette } from '../core/cluster/index.js'
import { parseDevice } from '../core/runtime/ort.js'

export default class Cluster extends BaseCommand {
  static override summary = 'Group texts by k-means++ on their embeddings (seeded), or pick k by silhouette.'
  static override description =
    'FILE holds the texts: one per line, JSON Lines (--text-field) or CSV. Each text is embedded (see llm embed for the models; default $LLM_EMBED_MODEL, else the bundled model) ' +
    'and k-means++ groups the unit vectors (squared Euclidean = 2 - 2 cosine); the same --seed gives the same clusters. --auto-k tries k = 2..--max-k and keeps the best mean silhouette. ' +
    'Prints each cluster\'s size and its most central texts; --json gives {k, silhouette, clusters: [{cluster, size, central}], assignments}.'

  static override examples = [
    '<%= config.bin %> cluster questions.txt --k 5',
    '<%= config.bin %> cluster tickets.jsonl --auto-k -m ./all-MiniLM-L6-v2 --json',
  ]

  static override args = { file: Args.string({ description: 'texts: lines, .jsonl or .csv', required: true, ignoreStdin: true }) }
  static override flags = {
    model: Flags.string({ char: 'm', description: 'embedding model (default: $LLM_EMBED_MODEL, else the bundled model)' }),
    k: intFlag({ char: 'k', description: 'number of clusters', min: 1 }),
    'auto-k': Flags.boolean({ description: 'choose k by silhouette', default: false }),
    'max-k': intFlag({ description: 'largest k --auto-k tries', default: 10, min: 2 }),
    seed: intFlag({ description: 'k-means++ seed', default: 0, min: 0 }),
    top: intFlag({ description: 'central texts shown per cluster', default: 3, min: 1 }),
    'text-field': Flags.string({ description: 'JSONL field / CSV column holding the text', default: 'text' }),
    ...deviceFlags(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Cluster)
    if (flags.k === undefined && !flags['auto-k']) throw usageError('give --k N or --auto-k', { where: '--k' })
    if (flags.k !== undefined && flags['auto-k']) throw usageError('--k and --auto-k exclude each other', { where: '--auto-k' })
    let text: string
    try { text = readFileSync(args.file, 'utf8') } catch (err) { throw fileError(args.file, err) }
    const texts = readRecords(text, args.file, flags['text-field']).map((r) => r.text)
    if (texts.length === 0) throw usageError('no texts in the file', { where: args.file })
    const emb = await openEmbedder(flags.model, { device: parseDevice(flags.device), threads: flags.threads })
    let vecs: Float32Array[]
    try { vecs = await emb.embed(texts) } finally { await emb.close() }
    const auto = flags['auto-k'] ? autoK(vecs, flags.seed, flags['max-k']) : undefined
    const r = auto?.best ?? kmeans(vecs, flags.k!, flags.seed)
    const s = auto ? auto.scores.find((x) => x.k === r.k)!.silhouette : silhouette(vecs, r.assignments)
    const order = central(vecs, r)
    const clusters = order.map((ids, c) => ({ cluster: c, size: ids.length, central: ids.slice(0, flags.top).map((i) => texts[i]!) }))
    if (flags.json) { this.outJson({ k: r.k, silhouette: s, seed: flags.seed, ...(auto ? { tried: auto.scores } : {}), clusters, assignments: r.assignments }); return }
    const lines = [`k ${r.k}, silhouette ${s.toFixed(3)}${auto ? ` (best of k = 2..${auto.scores.at(-1)!.k})` : ''}`]
    for (const c of clusters) lines.push(`cluster ${c.cluster} (${c.size} texts)`, ...c.central.map((t) => `  ${t.length > 100 ? t.slice(0, 100) + '…' : t}`))
    this.out(lines.join('\n') + '\n')
  }
}
