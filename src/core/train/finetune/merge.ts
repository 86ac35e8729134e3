/**
 * `llm finetune merge`: fold a PEFT LoRA adapter into its base, W ← W + scaling · B @ A, and
 * write a full Hugging Face folder (config.json, model.safetensors, the base's tokenizer and
 * generation files, onnx/model.onnx). Works on a base without a tokenizer too.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Checkpoint } from '../../model/checkpoint.js'
import { resolveModel } from '../../model/resolve.js'
import { writeHfFolder, type WrittenFolder } from '../../convert/hf-folder.js'
import { mergedWeights } from '../../model/lora.js'

const CARRIED = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'tokenizer.model']

export function mergeAdapter(baseSpec: string, adapterDir: string, out: string, force = false): WrittenFolder & { modules: number } {
  const { dir } = resolveModel(baseSpec)
  const base = Checkpoint.open(dir)
  const { weights, modules } = mergedWeights(base, adapterDir)
  const files = Object.fromEntries(CARRIED.filter((f) => existsSync(join(dir, f))).map((f) => [f, readFileSync(join(dir, f))]))
  return { ...writeHfFolder(out, { configJson: base.configJson, weights, files }, { force }), modules }
}
