/**
 * WorkerGenerator: the Generator interface with the model in a worker thread (worker.ts), so the
 * calling thread's event loop stays live while tokens are computed — what the ink chat view needs.
 * Text and token callbacks arrive as messages, one per token; `signal` aborts between tokens.
 */
import type { Worker } from 'node:worker_threads'
import { LlmError } from '../errors.js'
import { deserializeError, startWorker, type SerializedError } from '../worker.js'
import type { ChatMessage } from '../model/chat-template.js'
import type { LoadModelOptions, Prompt } from '../model/load.js'
import type { GenerateOptions, GenerationResult } from './generator.js'
import type { Generator, ModelInfo } from './types.js'

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  onText?: (t: string) => void
  onToken?: (id: number) => void
}

export class WorkerGenerator implements Generator {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private closed = false

  private constructor(private readonly worker: Worker, readonly info: ModelInfo) {
    worker.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: SerializedError; text?: string; token?: number }) => {
      const p = m.id === undefined ? undefined : this.pending.get(m.id)
      if (!p) return
      if (m.text !== undefined) p.onText?.(m.text)
      else if (m.token !== undefined) p.onToken?.(m.token)
      else {
        this.pending.delete(m.id!)
        if (m.ok) p.resolve(m.value)
        else p.reject(deserializeError(m.error!))
      }
    })
    const failAll = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
    }
    worker.on('error', failAll)
    worker.on('exit', (code) => { this.closed = true; if (this.pending.size) failAll(new LlmError(`the generation worker exited (code ${code})`)) })
  }

  static async open(spec: string | undefined, opts: Omit<LoadModelOptions, 'env'> = {}): Promise<WorkerGenerator> {
    const worker = startWorker(import.meta.url, 'worker', { spec, options: { device: opts.device, threads: opts.threads, adapter: opts.adapter, dtype: opts.dtype } })
    const info = await new Promise<ModelInfo>((resolve, reject) => {
      const onMessage = (m: { ready?: ModelInfo | null; error?: SerializedError; info?: string }): void => {
        if (m.info !== undefined) { opts.onInfo?.(m.info); return }
        if (!('ready' in m)) return
        worker.off('message', onMessage)
        if (m.ready) resolve(m.ready)
        else { void worker.terminate(); reject(deserializeError(m.error!)) }
      }
      worker.on('message', onMessage)
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new LlmError(`the generation worker exited while loading (code ${code})`)))
    })
    return new WorkerGenerator(worker, info)
  }

  private call<T>(op: string, args: unknown[], extra: Partial<Pending> = {}, abort?: SharedArrayBuffer): Promise<T> {
    if (this.closed) return Promise.reject(new LlmError('the generator is closed'))
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...extra })
      this.worker.postMessage({ id, op, args, abort })
    })
  }

  encode(prompt: Prompt): Promise<number[]> { return this.call('encode', [prompt]) }
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt?: boolean): Promise<string> { return this.call('applyChatTemplate', [messages, addGenerationPrompt]) }
  decode(ids: readonly number[]): Promise<string> { return this.call('decode', [ids]) }

  generate(prompt: Prompt, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const { onText, onToken, signal, ...rest } = opts
    const abort = new SharedArrayBuffer(4)
    const flag = new Int32Array(abort)
    const check = (): void => { if (signal?.aborted) Atomics.store(flag, 0, 1) }
    const maybeEvents = signal as unknown as { addEventListener?: (t: string, f: () => void) => void } | undefined
    maybeEvents?.addEventListener?.('abort', check)
    check()
    return this.call<GenerationResult>('generate', [prompt, rest], {
      onText: (t) => { check(); onText?.(t) },
      onToken: (id) => { check(); onToken?.(id) },
    }, abort)
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.call('close', []).catch(() => undefined)
    this.closed = true
    await this.worker.terminate()
  }
}
