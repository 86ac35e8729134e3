import { describe, it, expect } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readConfigFile, resolveOptions } from '../../../src/core/train/options.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-opts-'))
const yaml = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

describe('pretrain options', () => {
  it('YAML keys are flag names; flags beat the file; the file beats defaults', () => {
    const cfg = readConfigFile(yaml('a.yaml', 'data: input.txt\nbatch-size: 32\nlr: 3.0e-4\nsteps: 10\ntie: true\nschedule: constant\n'))
    const o = resolveOptions(cfg, { out: 'x', steps: 20 })
    expect(o.data).toEqual(['input.txt'])
    expect([o.batchSize, o.lr, o.steps, o.tie, o.schedule]).toEqual([32, 3e-4, 20, true, 'constant'])
    expect(o.minLr).toBeCloseTo(3e-5, 15) // default lr/10 follows the configured lr
    expect(o.hidden).toBe(352) // 8/3 · 128 rounded up to 32
    expect(o.warmup).toBe(2) // min(100, steps/10)
  })
  it('bad keys and values are errors naming the file and key', () => {
    expect(() => readConfigFile(yaml('b.yaml', 'batchsize: 3\n'))).toThrow(/unknown key 'batchsize'/)
    expect(() => readConfigFile(yaml('c.yaml', 'steps: 1.5\n'))).toThrow(/'steps' must be a whole number/)
    expect(() => readConfigFile(yaml('d.yaml', 'schedule: linear\n'))).toThrow(/must be one of cosine, constant/)
    expect(() => readConfigFile(yaml('e.yaml', 'lr: [1\n'))).toThrow(/not valid YAML/)
  })
  it('shape checks', () => {
    expect(() => resolveOptions({}, { data: ['a'], out: 'o', dim: 100, heads: 3 })).toThrow(/not divisible/)
    expect(() => resolveOptions({}, { data: ['a'], out: 'o', heads: 4, kvHeads: 3 })).toThrow(/multiple of --kv-heads/)
    expect(() => resolveOptions({}, { out: 'o' })).toThrow(/no training data/)
  })
})
