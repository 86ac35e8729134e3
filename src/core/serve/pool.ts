/**
 * One served model: `parallel` generators (each a worker thread with its own onnxruntime
 * session, so the HTTP event loop never blocks on session.run) and a bounded FIFO queue of
 * requests waiting for one. Every request decodes alone on its generator (batch of one), so a
 * greedy answer is the same bytes whatever else is running. A request whose client disconnects
 * while queued leaves the queue; a full queue is a 429.
 */
import type { Generator, ModelInfo } from '../generate/types.js'
import { ApiError } from './errors.js'

interface Waiter {
  resolve: (g: Generator) => void
  reject: (e: Error) => void
}

export class ModelPool {
  private readonly free: Generator[]
  private readonly waiting: Waiter[] = []
  private closed = false

  constructor(
    /** the id clients name in `model` */
    readonly id: string,
    /** other names that select this model (the -m text given) */
    readonly aliases: readonly string[],
    readonly generators: readonly Generator[],
    readonly maxQueue: number,
    readonly created = Math.floor(Date.now() / 1000),
  ) {
    this.free = [...generators]
  }

  get info(): ModelInfo { return this.generators[0]!.info }
  get busy(): number { return this.generators.length - this.free.length }
  get queued(): number { return this.waiting.length }

  /** a free generator, after waiting in the queue if all are busy; `signal` abandons the wait */
  acquire(signal?: AbortSignal): Promise<Generator> {
    if (this.closed) return Promise.reject(new ApiError(503, 'the server is shutting down', 'server_error', 'server_shutting_down'))
    const g = this.free.pop()
    if (g) return Promise.resolve(g)
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(new ApiError(429, `the server is busy: ${this.busy} requests running and ${this.waiting.length} queued for '${this.id}' (--queue ${this.maxQueue})`, 'rate_limit_error', 'queue_full'))
    }
    return new Promise<Generator>((resolve, reject) => {
      const w: Waiter = { resolve, reject }
      this.waiting.push(w)
      signal?.addEventListener('abort', () => {
        const i = this.waiting.indexOf(w)
        if (i >= 0) { this.waiting.splice(i, 1); reject(new ApiError(499, 'the client went away', 'invalid_request_error', 'client_closed')) }
      }, { once: true })
    })
  }

  release(g: Generator): void {
    const next = this.waiting.shift()
    if (next) next.resolve(g)
    else this.free.push(g)
  }

  /** refuse new requests (queued ones still run) */
  stopAccepting(): void { this.closed = true }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.generators.map((g) => g.close()))
  }
}
