/**
 * Temporary model folders built from ../shared files (symlinked, never copied into the repo).
 */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shared } from '../../helpers.js'

export function tempDir(prefix = 'llm-gen-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * stories260K in the Optimum layout, from the independent ONNX rendering in
 * shared/models/stories260K-onnx (declares only input_ids + past_key_values) and the
 * SentencePiece tokenizer.model: no `llm convert` needed.
 */
export function storiesOptimumFolder(extra: { generationConfig?: object; config?: object } = {}): string {
  const dir = tempDir('llm-stories-')
  mkdirSync(join(dir, 'onnx'))
  symlinkSync(shared('models/stories260K-onnx/model.onnx'), join(dir, 'onnx/model.onnx'))
  symlinkSync(shared('models/stories260K/tok512.model'), join(dir, 'tokenizer.model'))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    model_type: 'llama', num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4, hidden_size: 64,
    vocab_size: 512, max_position_embeddings: 512, bos_token_id: 1, eos_token_id: 2, ...extra.config,
  }))
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: 2, ...extra.generationConfig }))
  return dir
}

/** A copy-by-symlink of a shared model folder, with some files replaced or added. */
export function overlayFolder(sharedModel: string, files: Record<string, string | Uint8Array | { link: string }>): string {
  const dir = tempDir('llm-overlay-')
  const src = shared('models', sharedModel)
  for (const f of readdirSync(src)) if (!(f in files)) symlinkSync(join(src, f), join(dir, f))
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === 'object' && 'link' in content) symlinkSync(content.link, join(dir, name))
    else writeFileSync(join(dir, name), content)
  }
  return dir
}
