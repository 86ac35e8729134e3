/**
 * Plain float64 JavaScript forward references for each op family, written directly from the
 * PyTorch reference (shared/tools/torch_reference.py) with explicit loops — independent of the
 * ONNX formulation (no swap/sinSigned trick, no grouped reshape, explicit repeat_interleave).
 */

/** y[M, N] = x[M, K] @ w[N, K]ᵀ */
export function linearRef(x: Float64Array, w: Float64Array, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N)
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0
    for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k]
    y[m * N + n] = s
  }
  return y
}

export function embeddingRef(w: Float64Array, ids: number[], C: number): Float64Array {
  const y = new Float64Array(ids.length * C)
  ids.forEach((id, m) => { for (let c = 0; c < C; c++) y[m * C + c] = w[id * C + c] })
  return y
}

export function rmsNormRef(x: Float64Array, w: Float64Array, M: number, C: number, eps: number): Float64Array {
  const y = new Float64Array(M * C)
  for (let m = 0; m < M; m++) {
    let ss = 0
    for (let c = 0; c < C; c++) ss += x[m * C + c] ** 2
    const r = 1 / Math.sqrt(ss / C + eps)
    for (let c = 0; c < C; c++) y[m * C + c] = x[m * C + c] * r * w[c]
  }
  return y
}

/** HF apply_rotary_pos_emb on x [B, H, T, D] (positions 0..T−1). */
export function ropeRef(x: Float64Array, B: number, H: number, T: number, D: number, theta: number): Float64Array {
  const half = D / 2
  const y = new Float64Array(x.length)
  for (let bh = 0; bh < B * H; bh++) for (let p = 0; p < T; p++) {
    const base = (bh * T + p) * D
    for (let i = 0; i < D; i++) {
      const ang = p * theta ** (-(2 * (i % half)) / D)
      const rot = i < half ? -x[base + i + half] : x[base + i - half]
      y[base + i] = x[base + i] * Math.cos(ang) + rot * Math.sin(ang)
    }
  }
  return y
}

/** causal softmax(q kᵀ/√D) v with k, v repeated (repeat_interleave) from NKV to NH heads. */
/** `visible(b, i, j)` (default: causal j ≤ i) says which keys query i of row b may see */
export function attentionRef(q: Float64Array, k: Float64Array, v: Float64Array, B: number, NH: number, NKV: number, T: number, D: number,
  visible: (b: number, i: number, j: number) => boolean = (_b, i, j) => j <= i): Float64Array {
  const G = NH / NKV
  const o = new Float64Array(B * NH * T * D)
  const at = (b: number, h: number, t: number, heads: number): number => ((b * heads + h) * T + t) * D
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) {
    const kv = Math.floor(h / G)
    for (let i = 0; i < T; i++) {
      const s = new Float64Array(T)
      let max = -Infinity
      for (let j = 0; j < T; j++) {
        if (!visible(b, i, j)) continue
        let d = 0
        for (let c = 0; c < D; c++) d += q[at(b, h, i, NH) + c] * k[at(b, kv, j, NKV) + c]
        s[j] = d / Math.sqrt(D)
        max = Math.max(max, s[j])
      }
      let z = 0
      for (let j = 0; j < T; j++) { s[j] = visible(b, i, j) ? Math.exp(s[j] - max) : 0; z += s[j] }
      for (let c = 0; c < D; c++) {
        let acc = 0
        for (let j = 0; j < T; j++) acc += (s[j] / z) * v[at(b, kv, j, NKV) + c]
        o[at(b, h, i, NH) + c] = acc
      }
    }
  }
  return o
}

export function siluGateRef(gate: Float64Array, up: Float64Array): Float64Array {
  return gate.map((z, i) => (z / (1 + Math.exp(-z))) * up[i])
}

/** mean over targets ≥ 0 of −log softmax(logits)[target]; 0 when all are ignored */
export function crossEntropyRef(logits: Float64Array, targets: number[], V: number): Float64Array {
  let sum = 0
  let n = 0
  targets.forEach((tgt, m) => {
    if (tgt < 0) return
    let max = -Infinity
    for (let j = 0; j < V; j++) max = Math.max(max, logits[m * V + j])
    let z = 0
    for (let j = 0; j < V; j++) z += Math.exp(logits[m * V + j] - max)
    sum += -(logits[m * V + tgt] - max - Math.log(z))
    n++
  })
  return Float64Array.of(n ? sum / n : 0)
}
