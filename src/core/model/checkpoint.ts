/**
 * A Hugging Face checkpoint folder: `config.json` + `model.safetensors`, or the shards a
 * `model.safetensors.index.json` lists (`model-0000N-of-0000M.safetensors`). F32, F16 and BF16
 * tensors. Headers are read and checked against the config when the folder is opened (a
 * truncated shard, a tensor of the wrong shape, one missing from the index or one the family has
 * no place for fails here, naming file and tensor); data is read when asked for.
 *
 * Used by every path that starts from weights: `convert --from hf`, `pretrain --init`,
 * `finetune`, the GGUF writer, and running a folder that has no ONNX graph yet.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError } from '../errors.js'
import { SafetensorsReader, tensorToFloat32, type SafeTensor } from '../safetensors.js'
import { readModelConfig, type ModelConfig } from '../../kernels/model/config.js'
import { checkShapes } from '../../kernels/model/params.js'
import type { WeightSource } from '../../kernels/model/infer.js'
import { readJsonObject as readJson } from '../json.js'

type Json = Record<string, unknown>

export const WEIGHTS_FILE = 'model.safetensors'
export const WEIGHTS_INDEX = 'model.safetensors.index.json'

export class Checkpoint {
  private constructor(
    readonly dir: string,
    readonly configJson: Json,
    readonly config: ModelConfig,
    /** tensor name → the file that holds it */
    private readonly files: Map<string, SafetensorsReader>,
  ) {}

  /** Open `dir`, check every tensor's presence and shape against its config.json. */
  static open(dir: string): Checkpoint {
    const cfgFile = join(dir, 'config.json')
    if (!existsSync(cfgFile)) throw new LlmError('no config.json in this folder', { where: dir, hint: 'expected a Hugging Face model folder (config.json + model.safetensors)' })
    const configJson = readJson(cfgFile)
    const config = readModelConfig(configJson, cfgFile)
    const files = locateTensors(dir)
    const shapes = new Map<string, number[]>()
    for (const [name, r] of files) shapes.set(name, r.entries.get(name)!.shape)
    checkShapes(config, shapes, files.size ? weightsWhere(dir) : dir)
    for (const [name, r] of files) {
      const dt = r.entries.get(name)!.dtype
      if (dt !== 'F32' && dt !== 'F16' && dt !== 'BF16') throw new LlmError(`tensor '${name}' is ${dt}; only F32, F16 and BF16 weights are read`, { where: r.file })
    }
    return new Checkpoint(dir, configJson, config, files)
  }

  /** shape of every stored tensor */
  get shapes(): Map<string, number[]> {
    return new Map([...this.files].map(([n, r]) => [n, r.entries.get(n)!.shape]))
  }

  /** dtype the checkpoint stores (of the embedding) */
  get dtype(): string { return this.files.get('model.embed_tokens.weight')?.entries.get('model.embed_tokens.weight')?.dtype ?? 'F32' }

  has(name: string): boolean { return this.files.has(name) }

  /** the stored tensor (WeightSource for the emitters) */
  get(name: string): SafeTensor | undefined {
    return this.files.get(name)?.read(name)
  }

  /** a tensor as a float32 array of its own (safe to hand to a training session) */
  float32(name: string): Float32Array {
    const t = this.get(name)
    if (!t) throw new LlmError(`tensor '${name}' is missing`, { where: this.dir })
    const f = tensorToFloat32(t, name)
    return f === t.data ? Float32Array.from(f) : f
  }
}

/**
 * The tensors of any model folder (model.safetensors or the shards its index lists, checked as
 * above), read lazily by name — for checkpoints that are not decoder families (encoders,
 * encoder-decoders), whose emitters check the shapes themselves.
 */
export function folderWeights(dir: string): WeightSource & { names: string[] } {
  const files = locateTensors(dir)
  return { names: [...files.keys()], get: (name) => files.get(name)?.read(name) }
}

/** True when `dir` holds weights a Checkpoint can open. */
export function hasWeights(dir: string): boolean {
  return existsSync(join(dir, WEIGHTS_FILE)) || existsSync(join(dir, WEIGHTS_INDEX))
}

function weightsWhere(dir: string): string {
  return existsSync(join(dir, WEIGHTS_FILE)) ? join(dir, WEIGHTS_FILE) : join(dir, WEIGHTS_INDEX)
}

/** name → reader of the file holding it; the index's claims are checked against each shard's header. */
function locateTensors(dir: string): Map<string, SafetensorsReader> {
  const single = join(dir, WEIGHTS_FILE)
  const out = new Map<string, SafetensorsReader>()
  if (existsSync(single)) {
    const r = SafetensorsReader.open(single)
    for (const name of r.names) out.set(name, r)
    return out
  }
  const indexFile = join(dir, WEIGHTS_INDEX)
  if (!existsSync(indexFile)) throw new LlmError(`no ${WEIGHTS_FILE} or ${WEIGHTS_INDEX}`, { where: dir, hint: 'expected a Hugging Face model folder with safetensors weights' })
  const map = readJson(indexFile).weight_map
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new LlmError(`'weight_map' is missing or not an object`, { where: indexFile })
  const shards = new Map<string, SafetensorsReader>()
  for (const [name, shard] of Object.entries(map as Json)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new LlmError(`weight_map['${name}'] must be a file name in this folder, got ${JSON.stringify(shard)}`, { where: indexFile })
    let r = shards.get(shard)
    if (!r) {
      const file = join(dir, shard)
      if (!existsSync(file)) throw new LlmError(`shard '${shard}' listed for '${name}' is missing`, { where: indexFile, hint: 'the download is incomplete: pull the model again' })
      r = SafetensorsReader.open(file)
      shards.set(shard, r)
    }
    if (!r.entries.has(name)) throw new LlmError(`the index puts '${name}' in this shard, which has no such tensor`, { where: r.file })
    out.set(name, r)
  }
  return out
}
