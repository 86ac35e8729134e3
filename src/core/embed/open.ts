/**
 * Which embedding model `--embed-model` / `-m` means and how to run it.
 *
 * Resolution: the flag, else $LLM_EMBED_MODEL, else the bundled default model (models/default),
 * through the same resolver as every other command (a folder, or a name in the local store).
 * Kind: a folder whose config.json names an encoder model_type (bert, roberta, …) is an encoder
 * (feature-extraction layout); anything else is a decoder (its graph needs `last_hidden_state`).
 */
import { readModelFolder } from '../model/folder.js'
import { resolveModel } from '../model/resolve.js'
import type { SessionOptions } from '../runtime/ort.js'
import { DecoderEmbedder } from './decoder.js'
import { EncoderEmbedder } from './encoder.js'
import type { Pooling } from './pooling.js'
import type { Embedder } from './types.js'

const ENCODER_TYPES = new Set(['bert', 'roberta', 'xlm-roberta', 'distilbert', 'mpnet', 'electra', 'nomic_bert', 'modernbert', 'deberta', 'deberta-v2'])

export interface OpenEmbedderOptions extends SessionOptions {
  pooling?: Pooling
  normalize?: boolean
  env?: NodeJS.ProcessEnv
}

export function resolveEmbedModel(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolveModel(spec ?? (env.LLM_EMBED_MODEL || undefined), { ...env, LLM_MODEL: '' }).dir
}

export async function openEmbedder(spec: string | undefined, opts: OpenEmbedderOptions = {}): Promise<Embedder> {
  const dir = resolveEmbedModel(spec, opts.env)
  const folder = readModelFolder(dir)
  if (folder.modelType !== undefined && ENCODER_TYPES.has(folder.modelType)) return EncoderEmbedder.open(folder, opts)
  return DecoderEmbedder.open(dir, opts)
}
