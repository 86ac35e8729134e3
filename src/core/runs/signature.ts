/**
 * A run's signature: what decides its numbers, as hashes and versions, so two runs can be told
 * apart (or shown equal) without comparing folders: the model's weights, its tokenizer and chat
 * template, the data files, the seed, the device and the software versions.
 */
import { existsSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { sha256File } from '../eval/results.js'
import { readJsonObject } from '../json.js'

export interface DataHash { path: string; bytes: number; sha256: string }

export interface RunSignature {
  /** sha256 of the weights file the run read (eval, --init) */
  model_sha256?: string
  tokenizer_sha256?: string
  chat_template_sha256?: string
  data: DataHash[]
  seed?: number
  device?: string
  versions: Record<string, string>
}

export function hashData(paths: readonly string[]): DataHash[] {
  return paths.filter((p) => existsSync(p) && statSync(p).isFile()).map((p) => ({ path: p, bytes: statSync(p).size, sha256: sha256File(p) }))
}

const sha256Text = (s: string): string => createHash('sha256').update(s).digest('hex')

/**
 * Hashes of a Hugging Face model folder as the run saw it: the weights (`weightsFile`, else
 * model.safetensors, else onnx/model.onnx), tokenizer.json and the chat template (from
 * tokenizer_config.json). Missing pieces are left out.
 */
export function hashModelFolder(dir: string, weightsFile?: string): Pick<RunSignature, 'model_sha256' | 'tokenizer_sha256' | 'chat_template_sha256'> {
  const out: Pick<RunSignature, 'model_sha256' | 'tokenizer_sha256' | 'chat_template_sha256'> = {}
  const weights = weightsFile ?? [join(dir, 'model.safetensors'), join(dir, 'onnx/model.onnx')].find((f) => existsSync(f))
  if (weights && existsSync(weights)) out.model_sha256 = sha256File(weights)
  const tok = join(dir, 'tokenizer.json')
  if (existsSync(tok)) out.tokenizer_sha256 = sha256File(tok)
  const cfg = join(dir, 'tokenizer_config.json')
  if (existsSync(cfg)) {
    try {
      const template = readJsonObject(cfg).chat_template
      if (template !== undefined) out.chat_template_sha256 = sha256Text(typeof template === 'string' ? template : JSON.stringify(template))
    } catch {
      // an unreadable tokenizer_config.json is the model loader's error to report, not the tracker's
    }
  }
  return out
}

/** llm, node, onnxruntime-node and the platform. */
export function softwareVersions(llmVersion: string): Record<string, string> {
  const v: Record<string, string> = { llm: llmVersion, node: process.versions.node, platform: `${process.platform}-${process.arch}` }
  try {
    const req = createRequire(import.meta.url)
    v.onnxruntime_node = (req('onnxruntime-node/package.json') as { version: string }).version
  } catch {
    // not installed beside us: leave it out
  }
  return v
}
