import { describe, it, expect, beforeAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeTokenFile, isTokenFile, readTokenFile } from '../../../src/core/data/tokens-file.js'
import { needs, PYTHON } from '../../helpers.js'

// Reference writer: the same struct layout llm.c's data_common.py and shared/tools/torch_reference.py use.
const PY = `
import struct, sys
path, wide, n = sys.argv[1], sys.argv[2] == '1', int(sys.argv[3])
toks = [(i * 7919) % (70000 if wide else 65535) for i in range(n)]
h = [0] * 256
h[0], h[1], h[2] = (20240801, 7, n) if wide else (20240520, 1, n)
with open(path, 'wb') as f:
    f.write(struct.pack('<256i', *h))
    f.write(struct.pack(('<%dI' if wide else '<%dH') % n, *toks))
`
const dir = mkdtempSync(join(tmpdir(), 'llm-tokfile-'))

function pyWrite(name: string, wide: boolean, n: number): string {
  const p = join(dir, name)
  const r = spawnSync('/usr/bin/python3', ['-c', PY, p, wide ? '1' : '0', String(n)])
  if (r.status !== 0) throw new Error(r.stderr.toString())
  return p
}
const expected = (wide: boolean, n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % (wide ? 70000 : 65535))

needs(PYTHON).describe('llm.c token files vs a Python struct writer', () => {
  it('reads version 1 (uint16) and version 7 (uint32) files', () => {
    for (const wide of [false, true]) {
      const p = pyWrite(`t${wide}.bin`, wide, 1000)
      expect(isTokenFile(p)).toBe(true)
      expect(Array.from(readTokenFile(p))).toEqual(expected(wide, 1000))
    }
  })
  it('writes byte-identical files', () => {
    for (const wide of [false, true]) {
      const p = pyWrite(`w${wide}.bin`, wide, 300)
      const ours = encodeTokenFile(expected(wide, 300), wide ? 70000 : 65535)
      expect(Buffer.compare(Buffer.from(ours), readFileSync(p))).toBe(0)
    }
  })
})

describe('token file errors name the file', () => {
  beforeAll(() => {
    writeFileSync(join(dir, 'text.bin'), 'hello, not tokens'.repeat(100))
    const good = Buffer.from(encodeTokenFile([1, 2, 3, 4, 5]))
    writeFileSync(join(dir, 'short.bin'), good.subarray(0, good.length - 2))
    writeFileSync(join(dir, 'tiny.bin'), good.subarray(0, 100))
  })
  it('bad magic', () => {
    expect(isTokenFile(join(dir, 'text.bin'))).toBe(false)
    expect(() => readTokenFile(join(dir, 'text.bin'))).toThrow(/bad token file header: magic/)
    try { readTokenFile(join(dir, 'text.bin')) } catch (e) { expect((e as { oneLine(): string }).oneLine()).toContain(join(dir, 'text.bin')) }
  })
  it('truncated data and truncated header', () => {
    expect(() => readTokenFile(join(dir, 'short.bin'))).toThrow(/truncated: header says 5 tokens/)
    expect(() => readTokenFile(join(dir, 'tiny.bin'))).toThrow(/truncated: 100 bytes/)
  })
})
