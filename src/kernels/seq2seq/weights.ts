/**
 * Hugging Face weights → float32 initializers, checked against the shapes config.json implies.
 * A weight may go by several names (tied embeddings are saved once, under whichever name the
 * checkpoint chose): `add` takes the first one present. Each graph gets a weight once.
 */
import { LlmError } from '../../core/errors.js'
import { tensorToFloat32 } from '../../core/safetensors.js'
import type { WeightSource } from '../model/infer.js'
import type { Graph } from '../onnx/graph.js'

export type { WeightSource }

export class WeightTable {
  private readonly added = new WeakMap<Graph, Map<string, string>>()
  constructor(private readonly src: WeightSource, readonly where: string) {}

  has(name: string): boolean { return this.src.get(name) !== undefined }

  /** the first of `names` the checkpoint has, or undefined */
  find(...names: string[]): string | undefined { return names.find((n) => this.has(n)) }

  /** Add the first of `names` present as an initializer of `shape`; returns its graph name. */
  add(g: Graph, shape: readonly number[], ...names: string[]): string {
    const name = this.find(...names)
    if (name === undefined) throw new LlmError(`weight '${names[0]}' is missing`, { where: this.where, hint: names.length > 1 ? `also looked for ${names.slice(1).join(', ')}` : 'expected Hugging Face parameter names' })
    let seen = this.added.get(g)
    if (!seen) { seen = new Map(); this.added.set(g, seen) }
    const hit = seen.get(name)
    if (hit) return hit
    const t = this.src.get(name)!
    if (t.shape.join(',') !== shape.join(',')) {
      throw new LlmError(`weight '${name}' has shape [${t.shape.join(',')}], config.json implies [${shape.join(',')}]`, { where: this.where })
    }
    g.initializer(name, 'float32', [...shape], tensorToFloat32(t, name))
    seen.set(name, name)
    return name
  }

  /** Add a computed tensor (a table the checkpoint does not store) once per graph. */
  addComputed(g: Graph, name: string, shape: readonly number[], data: () => Float32Array): string {
    let seen = this.added.get(g)
    if (!seen) { seen = new Map(); this.added.set(g, seen) }
    const hit = seen.get(name)
    if (hit) return hit
    g.initializer(name, 'float32', [...shape], data())
    seen.set(name, name)
    return name
  }
}

type Json = Record<string, unknown>

/** Read a numeric config field (first of several spellings), or its default; undefined default = required. */
export function configNumber(c: Json, where: string, names: string[], dflt?: number): number {
  for (const n of names) {
    const v = c[n]
    if (typeof v === 'number' && Number.isFinite(v)) return v
  }
  if (dflt !== undefined) return dflt
  throw new LlmError(`config.json has no '${names[0]}'`, { where })
}
