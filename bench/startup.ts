/**
 * Start-up as a user meets it: whole `llm` processes against `node -e 0` (the floor no Node CLI
 * can go under), run side by side: each round runs every command once, in turn (A B C A B C …),
 * so load from other processes falls on all alike; medians over the rounds are reported, and
 * each command's median minus node's, for wall time and for CPU time (user + sys).
 *
 *   npm run bench:startup            (builds, then: node dist/bench/startup.js)
 *   options: --rounds N (default 20)  --json  --compare DIR (also run DIR's bin/run.js, a built
 *            checkout of another commit, in the same rounds)
 *
 * Goal (issue 15): `llm --version` and `llm tokenize --count hi` within 0.2 s of `node -e 0`.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..') // dist/bench → repo
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}
const rounds = Number(arg('rounds', '20'))
const json = process.argv.includes('--json')
const home = mkdtempSync(join(tmpdir(), 'llm-bench-startup-')) // an empty store for `models list`

// --compare DIR: the same commands from another built checkout (e.g. the previous commit), in the same rounds
const other = arg('compare', '')
const commands = (root: string, tag: string): Array<{ name: string; argv: string[] }> => {
  const llm = (...args: string[]) => [resolve(root, 'bin/run.js'), ...args]
  return [
    { name: `llm --version${tag}`, argv: llm('--version') },
    { name: `llm tokenize -t models/default --count hi${tag}`, argv: llm('tokenize', '-t', resolve(repo, 'models/default'), '--count', 'hi') },
    { name: `llm tokenize --encoding cl100k_base --count hi${tag}`, argv: llm('tokenize', '--encoding', 'cl100k_base', '--count', 'hi') },
    { name: `llm models list${tag}`, argv: llm('models', 'list') },
    { name: `llm generate --help${tag}`, argv: llm('generate', '--help') },
  ]
}
const CASES: Array<{ name: string; argv: string[] }> = [
  { name: 'node -e 0', argv: ['-e', '0'] },
  ...commands(repo, ''),
  ...(other ? commands(resolve(other), ' [--compare]') : []),
]

/**
 * One run: wall time, and the CPU time (user + sys) the process used, from bash's `times` (on a
 * loaded machine wall time includes waiting for a core; CPU time is the work itself).
 */
function once(argv: string[]): { wall: number; cpu: number } {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('bash', ['-c', '"$0" "$@" >/dev/null; s=$?; times >&2; exit $s', process.execPath, ...argv], {
    cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', LLM_HOME: home },
  })
  const wall = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  const children = r.stderr.trim().split('\n').at(-1)!.split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t)
    if (!m) throw new Error(`unexpected 'times' output: ${r.stderr}`)
    return (Number(m[1]) * 60 + Number(m[2])) * 1000
  })
  return { wall, cpu: children[0]! + children[1]! }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const wall = CASES.map(() => [] as number[])
const cpu = CASES.map(() => [] as number[])
for (const c of CASES) once(c.argv) // warm the file cache
for (let r = 0; r < rounds; r++) {
  CASES.forEach((c, i) => {
    const t = once(c.argv)
    wall[i]!.push(t.wall)
    cpu[i]!.push(t.cpu)
  })
}

const base = median(wall[0]!)
const baseCpu = median(cpu[0]!)
const rows = CASES.map((c, i) => ({
  command: c.name,
  median_ms: Math.round(median(wall[i]!)), over_node_ms: Math.round(median(wall[i]!) - base), min_ms: Math.round(Math.min(...wall[i]!)),
  cpu_ms: Math.round(median(cpu[i]!)), cpu_over_node_ms: Math.round(median(cpu[i]!) - baseCpu),
}))
if (json) {
  process.stdout.write(JSON.stringify({ rounds, node: process.version, rows }) + '\n')
} else {
  process.stdout.write(`start-up, ${rounds} rounds, medians (node ${process.version})\n`)
  process.stdout.write(`${'command'.padEnd(62)}${'wall'.padStart(9)}${'− node'.padStart(9)}${'min'.padStart(8)}${'cpu'.padStart(9)}${'− node'.padStart(9)}\n`)
  for (const r of rows) {
    process.stdout.write(`${r.command.padEnd(62)}${`${r.median_ms} ms`.padStart(9)}${`${r.over_node_ms} ms`.padStart(9)}${`${r.min_ms} ms`.padStart(8)}` +
      `${`${r.cpu_ms} ms`.padStart(9)}${`${r.cpu_over_node_ms} ms`.padStart(9)}\n`)
  }
}
