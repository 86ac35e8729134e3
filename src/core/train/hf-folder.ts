import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LlmError, fileError } from '../errors.js'
import { readSafetensors, tensorToFloat32, type SafeTensor } from '../safetensors.js'
import type { LlamaConfig } from './engine.js'

/**
 * The Hugging Face side of a training run: reading an `--init` Llama folder and writing the
 * config files of the output folder. Names follow transformers' LlamaConfig exactly.
 */
export function llamaConfigFromHf(json: Record<string, unknown>, where: string): LlamaConfig {
  const num = (k: string, fallback?: number): number => {
    const v = json[k] ?? fallback
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new LlmError(`config.json has no numeric '${k}'`, { where, hint: 'expected a Hugging Face Llama config.json' })
    return v
  }
  if (json.model_type !== undefined && json.model_type !== 'llama') {
    throw new LlmError(`model_type is '${String(json.model_type)}', only 'llama' can be trained`, { where })
  }
  const heads = num('num_attention_heads')
  return {
    vocabSize: num('vocab_size'),
    hiddenSize: num('hidden_size'),
    intermediateSize: num('intermediate_size'),
    numHiddenLayers: num('num_hidden_layers'),
    numAttentionHeads: heads,
    numKeyValueHeads: num('num_key_value_heads', heads),
    ropeTheta: num('rope_theta', 10000),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    tieWordEmbeddings: json.tie_word_embeddings === true,
    maxPositionEmbeddings: num('max_position_embeddings', 2048),
  }
}

export function llamaConfigToHf(cfg: LlamaConfig, tokens: { bos?: number; eos?: number }): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.numHiddenLayers,
    num_attention_heads: cfg.numAttentionHeads,
    num_key_value_heads: cfg.numKeyValueHeads,
    head_dim: cfg.hiddenSize / cfg.numAttentionHeads,
    hidden_act: 'silu',
    max_position_embeddings: cfg.maxPositionEmbeddings,
    rms_norm_eps: cfg.rmsNormEps,
    rope_theta: cfg.ropeTheta,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: 'float32',
    ...(tokens.bos !== undefined ? { bos_token_id: tokens.bos } : {}),
    ...(tokens.eos !== undefined ? { eos_token_id: tokens.eos } : {}),
  }
}

export function generationConfig(tokens: { bos?: number; eos?: number }): Record<string, unknown> {
  return {
    ...(tokens.bos !== undefined ? { bos_token_id: tokens.bos } : {}),
    ...(tokens.eos !== undefined ? { eos_token_id: tokens.eos } : {}),
    do_sample: true,
    temperature: 0.8,
    top_k: 200,
  }
}

export interface InitModel {
  config: LlamaConfig
  hfConfig: Record<string, unknown>
  params: Map<string, Float32Array>
}

/** Read `--init DIR`: config.json + model.safetensors, checked against the expected parameter list. */
export function readInitFolder(dir: string, specsFor: (cfg: LlamaConfig) => { name: string; shape: number[] }[]): InitModel {
  const cfgPath = join(dir, 'config.json')
  const wPath = join(dir, 'model.safetensors')
  if (!existsSync(cfgPath)) throw new LlmError('no config.json in this folder', { where: dir, hint: '--init needs a Hugging Face Llama folder (config.json + model.safetensors)' })
  if (!existsSync(wPath)) throw new LlmError('no model.safetensors in this folder', { where: dir, hint: '--init needs a Hugging Face Llama folder (config.json + model.safetensors)' })
  let hfConfig: Record<string, unknown>
  try {
    hfConfig = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>
  } catch (e) {
    throw fileError(cfgPath, e, 'cannot parse config.json')
  }
  const config = llamaConfigFromHf(hfConfig, cfgPath)
  const file = readSafetensors(wPath)
  const params = new Map<string, Float32Array>()
  for (const { name, shape } of specsFor(config)) {
    const t: SafeTensor | undefined = file.tensors.get(name)
    if (!t) throw new LlmError(`missing tensor '${name}'`, { where: wPath, hint: 'the weights do not match config.json' })
    if (t.shape.join(',') !== shape.join(',')) {
      throw new LlmError(`tensor '${name}' has shape [${t.shape}], config.json implies [${shape}]`, { where: wPath })
    }
    // copy: the session may own and mutate what we hand it
    params.set(name, Float32Array.from(tensorToFloat32(t, name)))
  }
  return { config, hfConfig, params }
}
