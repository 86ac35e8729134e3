/**
 * What `llm summarize` does once its flags are read: pick the method from the model folder
 * (no ONNX session is opened for an extractive summary), load the model when a call needs it,
 * run the summary, release the model.
 */
import { performance } from 'node:perf_hooks'
import { usageError } from '../errors.js'
import { Model, type LoadModelOptions } from '../model/load.js'
import { readModelFolder, type ModelFolder } from '../model/folder.js'
import { resolveModel } from '../model/resolve.js'
import type { SamplingParams } from '../generate/sampling.js'
import type { PromptTemplate } from '../prompts/template.js'
import { checkTemplate } from '../prompts/build.js'
import { BUILTIN_TEMPLATES } from '../prompts/builtins.js'
import { SUMMARIZE_VARIABLES } from './backend.js'
import { chooseMethod, createLmSummarizer, summarize, type Method, type SummarizeOptions, type SummaryResult } from './index.js'

export interface RunSummarizeOptions extends Omit<SummarizeOptions, 'method' | 'summarizer'> {
  /** -m: folder, store name, or undefined for LLM_MODEL / the bundled model */
  model?: string
  method: Method | 'auto'
  template?: PromptTemplate
  params?: Record<string, string>
  sampling?: Partial<SamplingParams>
  device?: LoadModelOptions['device']
  threads?: number
  /** a PEFT LoRA adapter folded into the model in memory */
  adapter?: string
  dtype?: LoadModelOptions['dtype']
  signal?: { readonly aborted: boolean }
}

export interface RunSummarizeResult extends SummaryResult {
  model: string | null
  template: string | null
  timings: { load_ms: number; summarize_ms: number; total_ms: number }
}

export async function runSummarize(text: string, opts: RunSummarizeOptions): Promise<RunSummarizeResult> {
  const t0 = performance.now()
  if (opts.method !== 'extractive') checkTemplate(opts.template ?? BUILTIN_TEMPLATES.summarize!, SUMMARIZE_VARIABLES, opts.params)
  let folder: ModelFolder | undefined
  try {
    folder = readModelFolder(resolveModel(opts.model).dir)
  } catch (err) {
    // an extractive summary needs no model; anything else does
    if (opts.method !== 'extractive' || opts.model !== undefined) throw err
  }
  if (folder?.modelType && /^(t5|mt5|bart|mbart|pegasus|marian|led)$/.test(folder.modelType) && opts.method !== 'extractive') {
    throw usageError(`'${folder.modelType}' is an encoder-decoder model: seq2seq summarizers need the encoder-decoder runtime, which this build does not have yet`, { where: folder.dir, hint: 'use a chat model, or --method extractive' })
  }
  const choice = chooseMethod(opts.method, folder)
  if (choice.note) opts.onNote?.(choice.note)
  const base = { model: folder?.dir ?? null, template: null as string | null }
  if (choice.method === 'extractive') {
    if (opts.template) opts.onNote?.('-t is ignored by an extractive summary (it has no prompt)')
    const unused = [opts.adapter && '--adapter', opts.dtype && '--dtype'].filter(Boolean)
    if (unused.length) opts.onNote?.(`${unused.join(' and ')} ${unused.length > 1 ? 'are' : 'is'} ignored by an extractive summary (it runs no model, only its tokenizer)`)
    const r = await summarize(text, { ...opts, method: 'extractive' })
    return { ...r, ...base, context_length: folder?.contextLength ?? null, timings: { load_ms: 0, summarize_ms: r.timings.summarize_ms, total_ms: performance.now() - t0 } }
  }
  const l0 = performance.now()
  const model = await Model.load(folder!.dir, { device: opts.device, threads: opts.threads, adapter: opts.adapter, dtype: opts.dtype })
  const loadMs = performance.now() - l0
  try {
    const summarizer = createLmSummarizer(model, text, {
      template: opts.template, params: opts.params, length: opts.length, maxWords: opts.maxWords, format: opts.format,
      focus: opts.focus, sampling: opts.sampling, signal: opts.signal, onNote: opts.onNote,
    })
    const r = await summarize(text, { ...opts, method: 'abstractive', summarizer })
    return { ...r, ...base, template: opts.template?.name ?? 'summarize', timings: { load_ms: loadMs, summarize_ms: r.timings.summarize_ms, total_ms: performance.now() - t0 } }
  } finally {
    await model.release()
  }
}
