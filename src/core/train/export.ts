import type { LlamaConfig } from './engine.js'

/**
 * onnx/model.onnx for the saved folder, from the graph helper's Llama inference emitter
 * (src/kernels/llama), so `llm generate -m DIR` runs what was trained.
 */
export interface OnnxFiles { model: Uint8Array; externalData?: Uint8Array; externalName?: string }

let warned = false

export async function exportOnnx(config: LlamaConfig, params: Map<string, Float32Array>, log: (line: string) => void): Promise<OnnxFiles | undefined> {
  let mod: Record<string, unknown>
  try {
    mod = (await import('../../kernels/llama/index.js' as string)) as Record<string, unknown>
  } catch {
    if (!warned) log('note: onnx/model.onnx not written (the Llama inference exporter is not in this build)')
    warned = true
    return undefined
  }
  const emit = mod.emitLlamaOnnx as ((c: LlamaConfig, p: Map<string, Float32Array>) => OnnxFiles) | undefined
  if (typeof emit !== 'function') return undefined
  return emit(config, params)
}
