/**
 * Which model folder `-m` means. In order:
 *   1. `-m DIR|NAME`: an existing path, else a name in the local store
 *      ($LLM_HOME/models/OWNER--NAME, see src/core/store/paths.ts);
 *   2. the LLM_MODEL environment variable, resolved the same way;
 *   3. the bundled default model, `<package root>/models/default`.
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LlmError, usageError } from '../errors.js'
import { modelsDir, resolveStoredModel } from '../store/paths.js'

/** The package root: this file is src/core/model/resolve.ts or dist/src/core/model/resolve.js. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(resolve(dir, 'package.json'))) return dir
    dir = dirname(dir)
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
}

export function defaultModelDir(): string {
  return resolve(packageRoot(), 'models', 'default')
}

export interface ResolvedModel {
  dir: string
  /** how it was found, for messages */
  via: 'path' | 'store' | 'env' | 'default'
}

export function resolveModel(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedModel {
  if (spec !== undefined && spec !== '') return resolveSpec(spec, '--model', env)
  if (env.LLM_MODEL) {
    const r = resolveSpec(env.LLM_MODEL, 'LLM_MODEL', env)
    return { dir: r.dir, via: 'env' }
  }
  const dir = defaultModelDir()
  if (!existsSync(dir)) {
    throw usageError('no model given and no default model is bundled yet', {
      where: '--model',
      hint: `pass -m DIR (a model folder) or -m OWNER/NAME (a model pulled with 'llm models pull'), or set LLM_MODEL`,
    })
  }
  return { dir, via: 'default' }
}

function resolveSpec(spec: string, where: string, env: NodeJS.ProcessEnv): ResolvedModel {
  const asPath = resolve(spec)
  if (existsSync(asPath)) {
    if (!statSync(asPath).isDirectory()) {
      throw new LlmError('not a model folder (a file was given)', { where: spec, hint: 'pass the folder that holds config.json and the onnx/ model' })
    }
    return { dir: asPath, via: 'path' }
  }
  const stored = resolveStoredModel(spec, env)
  if (stored) return { dir: stored, via: 'store' }
  throw new LlmError(`no such model folder, and no model '${spec}' in the store (${modelsDir(env)})`, {
    where: where === '--model' ? spec : `${where}=${spec}`,
    hint: "check the path, see 'llm models list', or download it with 'llm models pull OWNER/NAME'",
  })
}
