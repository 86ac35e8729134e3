/**
 * Whole-process tokenizing, as a user runs it: `cat FILE | llm tokenize --encoding cl100k_base
 * --count` against the same pipe into a node script using gpt-tokenizer and one using tiktoken
 * (WASM), and start-up: `llm tokenize --encoding cl100k_base --count hi` against `node -e 0`.
 *
 *   npm run bench:tokenize-process   (builds, then node dist/bench/tokenize-process.js)
 *   options: --mb N (input size, default 10)  --reps N (default 5)  --stream-mb N (also time our
 *            process alone on an N MB input, to show peak RSS does not grow with the input; 0 = off)
 *
 * Each process runs under /usr/bin/time (wall seconds and peak RSS of the pipeline's largest
 * process); the commands take turns A B C A B C … so load from other jobs falls on all alike;
 * medians are reported, with ratios against ours. Every process must print the same count.
 * Our compiled rank cache ($LLM_HOME/cache/tiktoken) is warmed once before timing, as any
 * second run finds it; a cold first run is timed separately.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCorpus } from './corpus.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../..')
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}
const mb = Number(arg('mb', '10'))
const reps = Number(arg('reps', '5'))
const streamMb = Number(arg('stream-mb', '0'))

const work = mkdtempSync(join(tmpdir(), 'llm-bench-tok-'))
const home = join(work, 'home')
const env = { ...process.env, LLM_HOME: home, NODE_ENV: 'production', NO_COLOR: '1' }
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
const node = q(process.execPath)
const llm = `${node} ${q(join(repo, 'bin/run.js'))}`

interface Run { wall: number; rssMB: number; out: string }

/** run a shell command line under /usr/bin/time; wall seconds, peak RSS (MB), stdout */
function run(cmd: string): Run {
  const timing = join(work, 'time.txt')
  const r = spawnSync('/usr/bin/time', ['-o', timing, '-f', '%e %M', 'sh', '-c', cmd], { env, encoding: 'utf8', maxBuffer: 1 << 26 })
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(0, 500)}`)
  const [wall, kb] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-2).map(Number)
  return { wall: wall!, rssMB: kb! / 1024, out: r.stdout.trim() }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }

/** commands as [label, command line, whether its output is the count all must agree on] */
function compare(title: string, cmds: Array<[string, string, boolean]>): void {
  console.log(`\n${title}`)
  const runs = cmds.map(() => [] as Run[])
  for (let r = 0; r < reps; r++) cmds.forEach(([, c], i) => runs[i]!.push(run(c)))
  const outs = new Set(runs.flatMap((rs, i) => (cmds[i]![2] ? rs.map((x) => x.out) : [])))
  if (outs.size > 1) throw new Error(`the processes disagree: ${[...outs].join(' / ')}`)
  const ours = median(runs[0]!.map((x) => x.wall))
  console.log('| command | median wall s | peak RSS MB | wall / ours |\n|---|---|---|---|')
  cmds.forEach(([label], i) => {
    const w = median(runs[i]!.map((x) => x.wall))
    console.log(`| ${label} | ${w.toFixed(2)} | ${median(runs[i]!.map((x) => x.rssMB)).toFixed(0)} | ${(w / ours).toFixed(2)}× |`)
  })
  console.log(`(count printed: ${[...outs][0]}; all ${reps} runs of each in turns)`)
}

function main(): void {
  const file = join(work, 'input.txt')
  writeFileSync(file, buildCorpus(mb).join(''))
  const bytes = readFileSync(file).length
  const peerGpt = `${node} ${q(join(here, 'peers/count-gpt-tokenizer.js'))}`
  const peerTik = `${node} ${q(join(here, 'peers/count-tiktoken.js'))}`
  console.log(`node ${process.version}; input ${(bytes / 1e6).toFixed(2)} MB; ${reps} reps; /usr/bin/time wall and max RSS`)
  const cold = run(`${llm} tokenize --encoding cl100k_base --count hi`) // builds the cache
  console.log(`first run (cold cache: builds $LLM_HOME/cache/tiktoken/cl100k_base.bin): ${cold.wall.toFixed(2)} s`)
  compare('Start-up: `llm tokenize --encoding cl100k_base --count hi`', [
    ['llm tokenize --count hi', `${llm} tokenize --encoding cl100k_base --count hi`, true],
    ['node -e 0', `${node} -e 0`, false],
    ['llm --version', `${llm} --version`, false],
    ['gpt-tokenizer script, arg hi', `${peerGpt} hi`, true],
    ['tiktoken WASM script, arg hi', `${peerTik} hi`, true],
  ])
  compare(`Whole process: \`cat ${(bytes / 1e6).toFixed(0)}MB | … --count\``, [
    ['cat FILE, llm tokenize --count', `cat ${q(file)} | ${llm} tokenize --encoding cl100k_base --count`, true],
    ['cat FILE, node gpt-tokenizer script', `cat ${q(file)} | ${peerGpt}`, true],
    ['cat FILE, node tiktoken WASM script', `cat ${q(file)} | ${peerTik}`, true],
  ])
  if (streamMb > 0) {
    const big = join(work, 'big.txt')
    const ws = createWriteStream(big)
    const base = readFileSync(file)
    for (let n = 0; n < streamMb * 1e6; n += base.length) ws.write(base)
    ws.end()
    ws.on('close', () => {
      const r = run(`cat ${q(big)} | ${llm} tokenize --encoding cl100k_base --count`)
      console.log(`\nStreaming: ${streamMb} MB through \`llm tokenize --count\`: ${r.wall.toFixed(1)} s, peak RSS ${r.rssMB.toFixed(0)} MB (count ${r.out})`)
      rmSync(work, { recursive: true, force: true })
    })
    return
  }
  rmSync(work, { recursive: true, force: true })
}

main()
