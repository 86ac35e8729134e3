/**
 * Micro-benchmark of one TrainSession.step (the whole step graph: forward, backward, clipping,
 * AdamW) at two sizes: nanoGPT's shakespeare-char (4 layers, 4 heads, dim 128, seq 64, batch 12,
 * vocab 65) and a ~12.7M-parameter model (dim 512, 4 layers, seq 128, batch 8).
 * Compare with bench/torch-step.py (same shapes, same thread count; its header says how to give
 * Debian's torch OpenBLAS). On a shared machine compare medianCpuMs, alternating the two runs.
 *
 *   npm run build && node dist/bench/engine-step.js [--preset shakespeare|12m] [--steps 20] [--threads N] [--many K]
 * --many K times TrainSession.stepMany (K steps per onnxruntime run) and reports per-step figures.
 */
import { TrainSession } from '../src/kernels/train/index.js'
import { newLlamaConfigJson, readModelConfig, type ModelConfig } from '../src/kernels/model/index.js'

const llama = (vocabSize: number, hiddenSize: number, intermediateSize: number, numLayers: number, numHeads: number, seq: number): ModelConfig =>
  readModelConfig(newLlamaConfigJson({ vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads: numHeads, maxPositionEmbeddings: seq, tieWordEmbeddings: true }))

const PRESETS: Record<string, { config: ModelConfig; batch: number; seq: number }> = {
  shakespeare: { config: llama(65, 128, 512, 4, 4, 64), batch: 12, seq: 64 },
  '12m': { config: llama(512, 512, 1376, 4, 8, 128), batch: 8, seq: 128 },
}

function repeat(x: Int32Array, k: number): Int32Array {
  const out = new Int32Array(x.length * k)
  for (let i = 0; i < k; i++) out.set(x, i * x.length)
  return out
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}

async function main(): Promise<void> {
  const presetName = arg('preset', 'shakespeare')
  const p = PRESETS[presetName]
  if (!p) throw new Error(`unknown preset ${presetName}; one of ${Object.keys(PRESETS).join(', ')}`)
  const steps = Number(arg('steps', '20'))
  const threads = Number(arg('threads', '0')) || undefined
  const many = Number(arg('many', '1'))
  const t0 = performance.now()
  const s = await TrainSession.create({ config: p.config, adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 }, batchSize: p.batch, seqLen: p.seq, threads })
  const created = performance.now() - t0
  const n = p.batch * p.seq
  const ids = Int32Array.from({ length: n }, (_, i) => (i * 7919) % p.config.vocabSize)
  const targets = Int32Array.from({ length: n }, (_, i) => (i * 104729 + 3) % p.config.vocabSize)
  const times: number[] = []
  // CPU time (all threads of this process) is the stable number on a shared, loaded machine
  const cpu: number[] = []
  let loss = 0
  for (let i = 0; i < steps + 2; i++) {
    const t = performance.now()
    const c = process.cpuUsage()
    if (many > 1) {
      const r = await s.stepMany({ inputIds: repeat(ids, many), targets: repeat(targets, many) }, Array(many).fill(1e-3))
      loss = r[many - 1].loss
    } else loss = (await s.step({ inputIds: ids, targets }, 1e-3)).loss
    const d = process.cpuUsage(c)
    // first runs warm up allocators; figures are per step
    if (i >= 2) { times.push((performance.now() - t) / many); cpu.push((d.user + d.system) / 1000 / many) }
  }
  await s.release()
  times.sort((a, b) => a - b)
  cpu.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  console.log(JSON.stringify({ preset: presetName, params: s.numParams, threads: threads ?? 'default', stepsPerRun: many, sessionMs: Math.round(created), medianStepMs: +median.toFixed(2), minStepMs: +times[0].toFixed(2), medianCpuMs: +cpu[Math.floor(cpu.length / 2)].toFixed(2), finalLoss: +loss.toFixed(4) }))
}

main().catch((e) => { console.error(e); process.exit(1) })
