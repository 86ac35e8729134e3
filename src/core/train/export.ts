import { exportLlamaOnnx } from '../../kernels/llama/index.js'

/**
 * onnx/model.onnx for a saved run folder, by the Llama inference emitter (src/kernels/llama)
 * from the folder's own config.json + model.safetensors — the same path `llm convert` takes, so
 * `llm generate -m DIR` runs exactly the weights that were saved.
 */
export function exportOnnx(dir: string): void {
  exportLlamaOnnx(dir)
}
