/**
 * The one way the core starts a worker thread (generation, training) and the one error protocol
 * across it. Compiled code starts `<name>.js` beside the caller; from TypeScript sources (vitest,
 * tsx dev mode) the worker is a tiny ES module that registers tsx's loader in the worker thread
 * and then imports `<name>.ts` — Node 20 applies neither the parent's loader hooks nor `--import`
 * in execArgv to workers.
 */
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { LlmError, type ExitCode } from './errors.js'

/** Start the worker module `name` (without extension) that sits beside `caller` (import.meta.url). */
export function startWorker(caller: string, name: string, workerData: unknown): Worker {
  const here = fileURLToPath(caller)
  const dir = here.slice(0, here.lastIndexOf('/') + 1)
  if (!here.endsWith('.ts')) return new Worker(pathToFileURL(`${dir}${name}.js`), { workerData })
  const tsxApi = pathToFileURL(createRequire(caller).resolve('tsx/esm/api')).href
  const entry = pathToFileURL(`${dir}${name}.ts`).href
  const code = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(entry)});`
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData })
}

export interface SerializedError { message: string; where?: string; hint?: string; exitCode?: number; llm: boolean; stack?: string }

export function serializeError(err: unknown): SerializedError {
  const stack = err instanceof Error ? err.stack : undefined
  if (err instanceof LlmError) return { message: err.message, where: err.where, hint: err.hint, exitCode: err.exitCode, llm: true, stack }
  return { message: err instanceof Error ? err.message : String(err), llm: false, stack }
}

export function deserializeError(e: SerializedError): Error {
  const err = e.llm ? new LlmError(e.message, { where: e.where, hint: e.hint, exitCode: e.exitCode as ExitCode | undefined }) : new Error(e.message)
  if (e.stack) err.stack = e.stack
  return err
}
