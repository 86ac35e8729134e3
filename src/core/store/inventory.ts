import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, join, relative, sep } from 'node:path'
import { mkdirs } from '../atomic.js'
import { LlmError } from '../errors.js'
import { readJsonObject } from '../json.js'
import { readManifest } from './manifest.js'
import { takeLock } from './lock.js'
import { lockPathOf, MANIFEST, modelsDir, repoIdOf, requireStoredModel, storedFolders } from './paths.js'

export interface StoredFile {
  name: string
  size: number
}

export interface StoredModel {
  /** repository id, `owner/name` */
  name: string
  path: string
  /** total bytes of the model's files */
  size: number
  files: StoredFile[]
  /** from the pull manifest; undefined for folders put into the store by hand */
  revision?: string
  commit?: string
}

/** Every file under a model folder (recursively), `/`-separated, our manifest excluded. */
function folderFiles(dir: string): StoredFile[] {
  const out: StoredFile[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) {
        const name = relative(dir, p).split(sep).join('/')
        if (name !== MANIFEST) out.push({ name, size: statSync(p).size })
      }
    }
  }
  walk(dir)
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export function describeStored(path: string): StoredModel {
  const folder = path.split(sep).pop()!
  const m = readManifest(path)
  const files = folderFiles(path)
  return {
    name: m?.repo ?? repoIdOf(folder),
    path,
    size: files.reduce((s, f) => s + f.size, 0),
    files,
    revision: m?.revision,
    commit: m?.commit,
  }
}

export function listStored(env: NodeJS.ProcessEnv = process.env): StoredModel[] {
  return storedFolders(env).map((f) => describeStored(join(modelsDir(env), f)))
}

/** The architecture numbers `llm models show` prints, from config.json (or genai_config.json). */
export interface ConfigSummary {
  source?: string
  architecture?: string
  model_type?: string
  layers?: number
  hidden_size?: number
  intermediate_size?: number
  heads?: number
  kv_heads?: number
  vocab_size?: number
  context_length?: number
  dtype?: string
}

const readOptional = (p: string): Record<string, unknown> | undefined =>
  existsSync(p) ? readJsonObject(p, { hint: 'the file is damaged: pull the model again' }) : undefined

const num = (...vs: unknown[]): number | undefined => vs.find((v): v is number => typeof v === 'number')
const str = (...vs: unknown[]): string | undefined => vs.find((v): v is string => typeof v === 'string')

/** Hugging Face config.json names first, GPT-2-style aliases second, onnxruntime-genai's genai_config.json last. */
export function summarizeConfig(dir: string): ConfigSummary {
  const c = readOptional(join(dir, 'config.json'))
  const g = readOptional(join(dir, 'genai_config.json'))
  const gm = (g?.model ?? {}) as Record<string, unknown>
  const gd = (gm.decoder ?? {}) as Record<string, unknown>
  if (!c && !g) return {}
  const arch = Array.isArray(c?.architectures) ? str(...(c!.architectures as unknown[])) : undefined
  return {
    source: c ? 'config.json' : 'genai_config.json',
    architecture: arch ?? str(c?.model_type, gm.type),
    model_type: str(c?.model_type, gm.type),
    layers: num(c?.num_hidden_layers, c?.n_layer, gd.num_hidden_layers),
    hidden_size: num(c?.hidden_size, c?.n_embd, gd.hidden_size),
    intermediate_size: num(c?.intermediate_size, c?.n_inner),
    heads: num(c?.num_attention_heads, c?.n_head, gd.num_attention_heads),
    kv_heads: num(c?.num_key_value_heads, gd.num_key_value_heads),
    vocab_size: num(c?.vocab_size, gm.vocab_size),
    context_length: num(c?.max_position_embeddings, c?.n_positions, gm.context_length),
    dtype: str(c?.torch_dtype, c?.dtype),
  }
}

/**
 * Remove a stored model (and any unfinished pull of it). Throws a clear error when absent, and
 * refuses while a pull of it is running (it holds the model's lock; rm takes the same lock).
 */
export function removeStored(name: string, env: NodeJS.ProcessEnv = process.env): StoredModel {
  const path = requireStoredModel(name, env)
  const folder = basename(path)
  const release = takeLock(lockPathOf(folder, env), (pid) =>
    new LlmError(`a pull of this model is running${pid ? ` (pid ${pid})` : ''}: not removing it`, {
      where: name,
      hint: `wait for the pull to finish or stop it, then run 'llm models rm ${name}' again`,
    }))
  try {
    const info = describeStored(path)
    // Rename first so the model disappears from the store at once, even if deleting takes a while.
    const trash = join(modelsDir(env), '.partial', `${folder}.rm-${randomBytes(4).toString('hex')}`)
    mkdirs(join(modelsDir(env), '.partial'))
    renameTo(path, trash)
    rmSync(trash, { recursive: true, force: true })
    rmSync(join(modelsDir(env), '.partial', folder), { recursive: true, force: true })
    return info
  } finally {
    release()
  }
}

function renameTo(src: string, dst: string): void {
  try {
    renameSync(src, dst)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    rmSync(src, { recursive: true, force: true })
  }
}
