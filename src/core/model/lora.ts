/**
 * LoRA adapters in PEFT's conventions and file format (peft LoraLayer / save_pretrained):
 *   ΔW = scaling · B @ A,  A [r, in], B [out, r],  scaling = alpha / r (alpha / √r with rsLoRA)
 *   init: A ~ kaiming_uniform(a = √5) = U(−1/√in, 1/√in), B = 0 (so training starts at the base)
 *   adapter_config.json (keys sorted) + adapter_model.safetensors (metadata {"format": "pt"},
 *   names `base_model.model.<module>.lora_A.weight` / `.lora_B.weight`)
 * — loadable by PEFT, vLLM and llama.cpp's convert_lora_to_gguf.py. Inside the engine a module's
 * adapter is named `<module>.lora_A.weight` / `.lora_B.weight`.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { LlmError, usageError } from '../errors.js'
import { readJsonObject } from '../json.js'
import { Rng } from '../rng.js'
import { readSafetensors, tensorToFloat32, writeSafetensors, type SafeTensor } from '../safetensors.js'
import { paramSpecs, type LoraModule, type ModelConfig, type ParamSpec } from '../../kernels/model/index.js'
import type { Checkpoint } from './checkpoint.js'

export const PEFT_PREFIX = 'base_model.model.'
export const ADAPTER_CONFIG = 'adapter_config.json'
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors'

/** PEFT's default target modules per model type (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING) */
const DEFAULT_TARGETS: Record<ModelConfig['family'], string[]> = {
  llama: ['q_proj', 'v_proj'], mistral: ['q_proj', 'v_proj'], qwen2: ['q_proj', 'v_proj'], gemma: ['q_proj', 'v_proj'], phi3: ['qkv_proj'],
}

export interface LoraSetup {
  r: number
  alpha: number
  rslora: boolean
  /** target module names as PEFT stores them (the last part: q_proj, …), sorted */
  targets: string[]
  /** full module names, in model order */
  modules: string[]
  scaling: number
}

/** the linear modules of the model (every `….weight` of a 2-D projection inside the layers) */
function linearModules(c: ModelConfig): { module: string; shape: number[] }[] {
  return paramSpecs(c).filter((s) => s.name.startsWith('model.layers.') && s.shape.length === 2 && s.name.endsWith('.weight'))
    .map((s) => ({ module: s.name.slice(0, -'.weight'.length), shape: s.shape }))
}

/**
 * Resolve `--lora-targets` (comma-separated names, `all-linear`, or undefined for PEFT's default)
 * against the model. A name the model lacks is an error listing the ones it has.
 */
export function loraSetup(c: ModelConfig, o: { r: number; alpha: number; rslora: boolean; targets?: string }, where = '--lora-targets'): LoraSetup {
  const linear = linearModules(c)
  const have = [...new Set(linear.map((l) => l.module.split('.').pop()!))]
  const wanted = o.targets === undefined ? DEFAULT_TARGETS[c.family] : o.targets === 'all-linear' ? have : o.targets.split(',').map((t) => t.trim()).filter(Boolean)
  if (wanted.length === 0) throw usageError('no target modules given', { where, hint: `this ${c.family} model has: ${have.join(', ')}, or all-linear` })
  for (const t of wanted) {
    if (!have.includes(t)) throw usageError(`this ${c.family} model has no module '${t}'`, { where, hint: `its linear modules: ${have.join(', ')} (or all-linear)` })
  }
  const modules = linear.filter((l) => wanted.includes(l.module.split('.').pop()!)).map((l) => l.module)
  return { r: o.r, alpha: o.alpha, rslora: o.rslora, targets: [...wanted].sort(), modules, scaling: o.rslora ? o.alpha / Math.sqrt(o.r) : o.alpha / o.r }
}

export const loraA = (module: string) => `${module}.lora_A.weight`
export const loraB = (module: string) => `${module}.lora_B.weight`

/** A [r, in] and B [out, r] of every adapted module, in model order */
export function loraSpecs(c: ModelConfig, s: LoraSetup): ParamSpec[] {
  const shapes = new Map(linearModules(c).map((l) => [l.module, l.shape]))
  return s.modules.flatMap((m) => {
    const [out, inp] = shapes.get(m)!
    return [{ name: loraA(m), shape: [s.r, inp] }, { name: loraB(m), shape: [out, s.r] }]
  })
}

/** the engine's view: module → its A/B names and scaling */
export function loraModules(s: LoraSetup): Map<string, LoraModule> {
  return new Map(s.modules.map((m) => [m, { a: loraA(m), b: loraB(m), scaling: s.scaling }]))
}

/** PEFT's initialisation, seeded */
export function initLora(c: ModelConfig, s: LoraSetup, seed: number): Map<string, Float32Array> {
  const rng = Rng.fromSeed(seed)
  const out = new Map<string, Float32Array>()
  for (const spec of loraSpecs(c, s)) {
    const data = new Float32Array(spec.shape[0] * spec.shape[1])
    if (spec.name.endsWith('lora_A.weight')) {
      const bound = 1 / Math.sqrt(spec.shape[1])
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * bound
    }
    out.set(spec.name, data)
  }
  return out
}

/** adapter_config.json as PEFT writes it (every key PEFT reads for a LoRA adapter), keys sorted */
export function adapterConfig(s: LoraSetup, base: string): Record<string, unknown> {
  const cfg: Record<string, unknown> = {
    base_model_name_or_path: base, bias: 'none', fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
    layers_pattern: null, layers_to_transform: null, lora_alpha: s.alpha, lora_dropout: 0, modules_to_save: null,
    peft_type: 'LORA', r: s.r, rank_pattern: {}, alpha_pattern: {}, revision: null, target_modules: s.targets,
    task_type: 'CAUSAL_LM', use_dora: false, use_rslora: s.rslora,
  }
  return Object.fromEntries(Object.keys(cfg).sort().map((k) => [k, cfg[k]]))
}

export function writeAdapter(dir: string, s: LoraSetup, c: ModelConfig, params: Map<string, Float32Array>, base: string): void {
  const tensors = new Map<string, SafeTensor>()
  for (const spec of loraSpecs(c, s)) tensors.set(PEFT_PREFIX + spec.name, { dtype: 'F32', shape: spec.shape, data: params.get(spec.name)! })
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { format: 'pt' })
  writeFileAtomic(join(dir, ADAPTER_CONFIG), JSON.stringify(adapterConfig(s, base), null, 2) + '\n')
}

/** Read a PEFT LoRA adapter for `c`; every tensor's shape is checked against the base. */
export function readAdapter(dir: string, c: ModelConfig): { setup: LoraSetup; params: Map<string, Float32Array> } {
  const cfgFile = join(dir, ADAPTER_CONFIG)
  if (!existsSync(cfgFile)) throw new LlmError(`no ${ADAPTER_CONFIG} in this folder`, { where: dir, hint: 'expected a PEFT LoRA adapter folder' })
  const cfg = readJsonObject(cfgFile)
  if (cfg.peft_type !== 'LORA') throw new LlmError(`peft_type is ${JSON.stringify(cfg.peft_type)}, only LORA adapters are supported`, { where: cfgFile })
  for (const k of ['use_dora', 'fan_in_fan_out']) if (cfg[k] === true) throw new LlmError(`'${k}: true' is not supported`, { where: cfgFile })
  if (cfg.bias !== undefined && cfg.bias !== 'none') throw new LlmError(`'bias: ${JSON.stringify(cfg.bias)}' is not supported (only "none")`, { where: cfgFile })
  if (cfg.modules_to_save) throw new LlmError(`'modules_to_save' is not supported`, { where: cfgFile })
  const r = cfg.r, alpha = cfg.lora_alpha
  if (!Number.isInteger(r) || (r as number) <= 0) throw new LlmError(`'r' must be a positive integer, got ${JSON.stringify(r)}`, { where: cfgFile })
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new LlmError(`'lora_alpha' must be a positive number, got ${JSON.stringify(alpha)}`, { where: cfgFile })
  const t = cfg.target_modules
  const targets = Array.isArray(t) ? t.join(',') : typeof t === 'string' ? t : undefined
  if (targets === undefined) throw new LlmError(`'target_modules' must be a list of module names`, { where: cfgFile })
  const setup = loraSetup(c, { r: r as number, alpha, rslora: cfg.use_rslora === true, targets: targets === 'all-linear' ? 'all-linear' : targets }, cfgFile)
  const file = join(dir, ADAPTER_WEIGHTS)
  const stored = readSafetensors(file).tensors
  const params = new Map<string, Float32Array>()
  for (const spec of loraSpecs(c, setup)) {
    const tns = stored.get(PEFT_PREFIX + spec.name)
    if (!tns) throw new LlmError(`tensor '${PEFT_PREFIX + spec.name}' is missing`, { where: file, hint: 'the adapter does not match its adapter_config.json' })
    if (tns.shape.join(',') !== spec.shape.join(',')) throw new LlmError(`tensor '${PEFT_PREFIX + spec.name}' has shape [${tns.shape}], the base model needs [${spec.shape}]`, { where: file, hint: 'the adapter was trained on another base model' })
    params.set(spec.name, Float32Array.from(tensorToFloat32(tns, spec.name)))
  }
  return { setup, params }
}

/** W + scaling · B @ A for every adapted module (float64 accumulation, rounded once) */
export function mergeLora(base: Map<string, Float32Array>, c: ModelConfig, s: LoraSetup, lora: Map<string, Float32Array>): Map<string, Float32Array> {
  const shapes = new Map(paramSpecs(c).map((p) => [p.name, p.shape]))
  const out = new Map(base)
  for (const m of s.modules) {
    const [rows, cols] = shapes.get(`${m}.weight`)!
    const A = lora.get(loraA(m))!, B = lora.get(loraB(m))!
    const W = Float32Array.from(base.get(`${m}.weight`)!)
    const acc = new Float64Array(cols)
    for (let i = 0; i < rows; i++) {
      acc.fill(0)
      for (let k = 0; k < s.r; k++) {
        const b = B[i * s.r + k]
        if (b === 0) continue
        const row = k * cols
        for (let j = 0; j < cols; j++) acc[j] += b * A[row + j]
      }
      for (let j = 0; j < cols; j++) W[i * cols + j] += s.scaling * acc[j]
    }
    out.set(`${m}.weight`, W)
  }
  return out
}

/** a checkpoint's weights with an adapter folded in, in memory (`finetune merge`, `-m BASE --adapter DIR`) */
export function mergedWeights(base: Checkpoint, adapterDir: string): { weights: Map<string, SafeTensor>; modules: number } {
  const { setup, params } = readAdapter(adapterDir, base.config)
  const specs = paramSpecs(base.config)
  const merged = mergeLora(new Map(specs.map((s) => [s.name, base.float32(s.name)])), base.config, setup, params)
  return { weights: new Map(specs.map((s) => [s.name, { dtype: 'F32', shape: s.shape, data: merged.get(s.name)! }])), modules: setup.modules.length }
}
