import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  bf16ToFloat32, encodeSafetensors, float32ToBf16, readSafetensors, tensorToFloat32, writeSafetensors, type SafeTensor,
} from '../../src/core/safetensors.js'
import { float32ToHalfArray } from '../../src/core/runtime/fp16.js'
import { needs, PY, SHARED, shared, TORCH } from '../helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'llm-st-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function sample(): Map<string, SafeTensor> {
  return new Map<string, SafeTensor>([
    ['a.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-8, -7) }],
    ['half', { dtype: 'F16', shape: [3], data: float32ToHalfArray([0.5, -1, 65504]) }],
    ['bf', { dtype: 'BF16', shape: [2], data: float32ToBf16(Float32Array.of(1, -3)) }],
    ['ids', { dtype: 'I64', shape: [3], data: BigInt64Array.of(0n, -1n, 2n ** 40n) }],
    ['i32', { dtype: 'I32', shape: [1, 1], data: Int32Array.of(-5) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
  ])
}

describe('safetensors round trip', () => {
  it('writes an 8-byte aligned header and reads every dtype, shape and metadata back', () => {
    const file = join(dir, 'rt.safetensors')
    writeSafetensors(file, sample(), { format: 'pt', note: 'x' })
    const bytes = readFileSync(file)
    const n = Number(bytes.readBigUInt64LE(0))
    expect(n % 8).toBe(0)
    expect(JSON.parse(bytes.subarray(8, 8 + n).toString()).__metadata__).toEqual({ format: 'pt', note: 'x' })
    const back = readSafetensors(file)
    expect(back.metadata).toEqual({ format: 'pt', note: 'x' })
    for (const [name, t] of sample()) {
      const r = back.tensors.get(name)!
      expect([name, r.dtype, r.shape]).toEqual([name, t.dtype, t.shape])
      expect(Array.from(r.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>))
    }
    expect(Array.from(tensorToFloat32(back.tensors.get('half')!))).toEqual([0.5, -1, 65504])
    expect(Array.from(tensorToFloat32(back.tensors.get('bf')!))).toEqual([1, -3])
    // `only` filters what is read
    expect([...readSafetensors(file, (name) => name === 'ids').tensors.keys()]).toEqual(['ids'])
  })

  needs(TORCH, SHARED).it('reads a file written by torch_reference.py\'s writer and matches torch\'s bf16/f16 bits', () => {
    const file = join(dir, 'torch.safetensors')
    // The shared reference tool's own writer, fed torch tensors; values and bf16/f16 bit patterns
    // come back as JSON so the comparison does not go through our reader alone.
    const script = `
import json, sys, torch
sys.path.insert(0, sys.argv[2])
from torch_reference import save_safetensors
torch.manual_seed(0)
t = {"model.norm.weight": torch.randn(5), "z.proj": torch.randn(3, 4) * 100, "b": torch.tensor([[1.0e-30, -2.5]])}
save_safetensors(sys.argv[1], t)
vals = torch.tensor([1.0, -3.14159, 1e-3, 65519.0, 3.0e38, -0.0, 1.00390625, 1.01171875])
print(json.dumps({k: v.flatten().tolist() for k, v in t.items()} | {
  "vals": vals.tolist(),
  "bf16": vals.to(torch.bfloat16).view(torch.int16).tolist(),
  "f16": vals.to(torch.float16).view(torch.int16).tolist()}))`
    const toolDir = shared('tools')
    const r = spawnSync(PY, ['-c', script, file, toolDir], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const want = JSON.parse(r.stdout) as Record<string, number[]>
    const got = readSafetensors(file)
    expect([...got.tensors.keys()].sort()).toEqual(['b', 'model.norm.weight', 'z.proj'])
    expect(got.tensors.get('z.proj')!.shape).toEqual([3, 4])
    for (const k of ['b', 'model.norm.weight', 'z.proj']) expect(Array.from(got.tensors.get(k)!.data as Float32Array)).toEqual(want[k])
    const vals = Float32Array.from(want.vals)
    expect(Array.from(float32ToBf16(vals), (b) => (b << 16) >> 16)).toEqual(want.bf16)
    expect(Array.from(float32ToHalfArray(vals), (b) => (b << 16) >> 16)).toEqual(want.f16)
    expect(Array.from(bf16ToFloat32(float32ToBf16(Float32Array.of(1.01171875))))).toEqual([1.015625])
  })
})

describe('safetensors refuses corrupt files with one line naming the file', () => {
  const good = (): Buffer => Buffer.concat(encodeSafetensors(sample()))
  const header = (b: Buffer): { n: number; json: Record<string, { data_offsets: number[]; dtype: string; shape: number[] }> } => {
    const n = Number(b.readBigUInt64LE(0))
    return { n, json: JSON.parse(b.subarray(8, 8 + n).toString()) }
  }
  const withHeader = (json: unknown, data: Buffer): Buffer => {
    const h = Buffer.from(JSON.stringify(json))
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(h.length))
    return Buffer.concat([len, h, data])
  }
  const cases: [string, () => Buffer, RegExp][] = [
    ['too short', () => Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/],
    ['header length past EOF', () => { const b = good(); b.writeBigUInt64LE(10_000n); return b }, /header length 10000 does not fit/],
    ['truncated data', () => good().subarray(0, good().length - 3), /tensors cover \d+ data bytes but the file holds \d+/],
    ['bad JSON', () => { const b = good(); b[9] = 0x7b; b[8] = 0x5b; return b }, /header is not valid JSON/],
    ['wrong byte count', () => { const b = good(); const { n, json } = header(b); json['a.weight'].shape = [3, 3]; return withHeader(json, b.subarray(8 + n)) }, /'a.weight' \(F32 \[3,3\]\) needs 36 bytes/],
    ['gap', () => { const b = good(); const { n, json } = header(b); for (const v of Object.values(json)) v.data_offsets = v.data_offsets.map((x) => x + 8); return withHeader(json, Buffer.concat([Buffer.alloc(8), b.subarray(8 + n)])) }, /starts at byte 8 of the data, expected 0/],
    ['unknown dtype', () => { const b = good(); const { n, json } = header(b); json.i32.dtype = 'C64'; return withHeader(json, b.subarray(8 + n)) }, /unsupported dtype "C64"/],
  ]
  for (const [what, make, re] of cases) {
    it(what, () => {
      const file = join(dir, `bad-${what.replace(/\W/g, '_')}.safetensors`)
      writeFileSync(file, make())
      let err: unknown
      try { readSafetensors(file) } catch (e) { err = e }
      const line = (err as { oneLine(): string }).oneLine()
      expect(line).toMatch(re)
      expect(line.startsWith(`${file}: corrupt safetensors file`)).toBe(true)
      expect(line).not.toContain('\n')
    })
  }
  it('missing file', () => {
    expect(() => readSafetensors(join(dir, 'nope.safetensors'))).toThrow(/no such file or directory/)
  })
  it('refuses tensors whose data does not match their shape or dtype', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/needs 3 values/)
    expect(() => encodeSafetensors({ x: { dtype: 'I64', shape: [2], data: new Float32Array(2) } })).toThrow(/BigInt64Array/)
  })
})
