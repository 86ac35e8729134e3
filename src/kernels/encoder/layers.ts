/**
 * Generic forward-only inference ops an encoder needs beyond the Llama set in
 * `src/kernels/llama/layers.ts` (kept in one small file so they can join that shared module):
 * LayerNormalization with bias, GELU in its exact erf form, and nn.Linear with a bias.
 * Activations are 2-D [N, C] (N = B·S rows) around every projection, as in the Llama layers.
 */
import { float, type Graph } from '../onnx/graph.js'

/**
 * LayerNorm (torch.nn.LayerNorm over the last axis): y = (x − mean) / sqrt(var + eps) · w + b,
 * with the biased variance. One ONNX LayerNormalization node (opset 17), float32 statistics.
 */
export function layerNorm(g: Graph, x: string, w: string, b: string, eps: number): string {
  return g.op('LayerNormalization', [x, w, b], { axis: -1, epsilon: float(eps), stash_type: 1 })
}

/**
 * GELU, exact form (transformers' ACT2FN['gelu'] = nn.functional.gelu): 0.5 · x · (1 + erf(x / √2)).
 * Spelled Div → Erf → Add → Mul → Mul, the pattern onnxruntime fuses into its Gelu kernel.
 */
export function geluErf(g: Graph, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.const('float32', [], [Math.SQRT2])])])
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.const('float32', [], [1])])]), g.const('float32', [], [0.5])])
}

/** y[N, out] = x[N, in] @ w[out, in]ᵀ + b[out] (nn.Linear with bias): one Gemm reading w in place. */
export function linearBias(g: Graph, x: string, w: string, b: string): string {
  return g.op('Gemm', [x, w, b], { transB: 1 })
}
