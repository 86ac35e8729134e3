/**
 * Forward-only inference layers in standard ONNX ops, shared by every inference graph we emit:
 * the decoder families (infer.ts), the BERT encoder (kernels/encoder) and the encoder-decoders.
 * Activations are rows [N, C] (N = B·S) around every projection, so each projection is one Gemm
 * reading the Hugging Face [out, in] weight in place (transB, no Transpose node).
 * (The training engine's op families in src/kernels/ops are static-shape and carry backward rules.)
 */
import { float, type Graph } from '../onnx/graph.js'
import type { LayerActivation } from './config.js'

export { hfActivation, type LayerActivation } from './config.js'

/** y[N, out] = x[N, in] @ w[out, in]ᵀ (+ b[out]): nn.Linear */
export function linear(g: Graph, x: string, w: string, b?: string): string {
  return g.op('Gemm', b ? [x, w, b] : [x, w], { transB: 1 })
}

/**
 * RMSNorm: x / sqrt(mean(x²) + eps) · (offset + w), spelled Pow → ReduceMean → Add → Sqrt →
 * Div → Mul, the pattern onnxruntime fuses into SimplifiedLayerNormalization. Gemma's 1 + w is an
 * Add on the initializer, which onnxruntime folds at load.
 */
export function rmsNorm(g: Graph, x: string, w: string, eps: number, offset: 0 | 1 = 0): string {
  const sq = g.op('Pow', [x, g.const('float32', [], [2])])
  const meanSq = g.opset >= 18
    ? g.op('ReduceMean', [sq, g.const('int64', [1], [-1])], { keepdims: 1 })
    : g.op('ReduceMean', [sq], { axes: [-1], keepdims: 1 })
  const rms = g.op('Sqrt', [g.op('Add', [meanSq, g.const('float32', [], [eps])])])
  const scale = offset === 1 ? g.op('Add', [w, g.const('float32', [], [1])]) : w
  return g.op('Mul', [g.op('Div', [x, rms]), scale])
}

/**
 * LayerNorm (torch.nn.LayerNorm over the last axis): y = (x − mean) / sqrt(var + eps) · w + b,
 * with the biased variance. One ONNX LayerNormalization node (opset 17), float32 statistics.
 */
export function layerNorm(g: Graph, x: string, w: string, b: string, eps: number): string {
  return g.op('LayerNormalization', [x, w, b], { axis: -1, epsilon: float(eps), stash_type: 1 })
}

/**
 * Activations as transformers' ACT2FN computes them:
 *   silu       x · σ(x)
 *   gelu_tanh  0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))   (gelu_pytorch_tanh, gelu_new)
 *   gelu       0.5 · x · (1 + erf(x / √2))   (exact; Div → Erf → Add → Mul → Mul, which ORT fuses)
 *   relu       max(x, 0)
 */
export function activate(g: Graph, x: string, act: LayerActivation): string {
  const c = (v: number) => g.const('float32', [], [v])
  switch (act) {
    case 'silu': return g.op('Mul', [x, g.op('Sigmoid', [x])])
    case 'relu': return g.op('Relu', [x])
    case 'gelu': {
      const erf = g.op('Erf', [g.op('Div', [x, c(Math.SQRT2)])])
      return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, c(1)])]), c(0.5)])
    }
    case 'gelu_tanh': {
      const cube = g.op('Mul', [g.op('Mul', [x, x]), x])
      const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))])
      return g.op('Mul', [g.op('Mul', [x, c(0.5)]), g.op('Add', [g.op('Tanh', [inner]), c(1)])])
    }
  }
}
