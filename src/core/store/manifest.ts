import { join } from 'node:path'
import { readJson } from '../json.js'
import { MANIFEST } from './paths.js'

/** One downloaded file as `pull` checked it. */
export interface ManifestFile {
  name: string
  size: number
  sha256: string
}

/**
 * `.llm-model.json`, written by `llm models pull` into each model folder (versioned; a folder
 * put into the store by hand has none, and every reader copes with that).
 */
export interface Manifest {
  format: 'llm-model'
  version: 1
  repo: string
  revision: string
  commit: string
  endpoint: string
  pulled_at: string
  files: ManifestFile[]
}

/** The folder's manifest, or undefined when there is none or it is not one we understand. */
export function readManifest(dir: string): Manifest | undefined {
  let m: Partial<Manifest>
  try {
    m = readJson(join(dir, MANIFEST)) as Partial<Manifest>
  } catch {
    return undefined // none, or damaged: the folder is treated as put in by hand (a pull rewrites it)
  }
  if (typeof m !== 'object' || m === null) return undefined
  if (m.format !== 'llm-model' || m.version !== 1 || !Array.isArray(m.files) || typeof m.commit !== 'string') return undefined
  return m as Manifest
}
