import { LlmError } from '../../core/errors.js'

/**
 * Reading tokenizer.json: every component is a plain JSON object with a `type` field. These
 * helpers turn a malformed or unsupported component into an LlmError that names the file.
 */
export type Json = Record<string, unknown>

export interface Ctx {
  /** the file (or "tokenizer.json object") the config came from, named in every error */
  readonly source: string
}

export function fail(ctx: Ctx, message: string, hint?: string): never {
  throw new LlmError(message, { where: ctx.source, hint })
}

export function asObject(ctx: Ctx, v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(ctx, `${what} is not a JSON object`)
  return v as Json
}

export function unsupported(ctx: Ctx, component: string, type: unknown): never {
  fail(ctx, `unsupported ${component} type '${String(type)}'`, 'this tokenizer.json uses a component llm does not implement')
}

export function str(ctx: Ctx, o: Json, key: string, dflt?: string): string {
  const v = o[key]
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt
    fail(ctx, `${String(o.type ?? 'component')}: missing string field '${key}'`)
  }
  if (typeof v !== 'string') fail(ctx, `${String(o.type ?? 'component')}: field '${key}' is not a string`)
  return v
}

export function optStr(ctx: Ctx, o: Json, key: string): string | undefined {
  const v = o[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') fail(ctx, `${String(o.type ?? 'component')}: field '${key}' is not a string`)
  return v
}

export function bool(ctx: Ctx, o: Json, key: string, dflt: boolean): boolean {
  const v = o[key]
  if (v === undefined || v === null) return dflt
  if (typeof v !== 'boolean') fail(ctx, `${String(o.type ?? 'component')}: field '${key}' is not a boolean`)
  return v
}

export function num(ctx: Ctx, o: Json, key: string, dflt?: number): number {
  const v = o[key]
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt
    fail(ctx, `${String(o.type ?? 'component')}: missing number field '${key}'`)
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(ctx, `${String(o.type ?? 'component')}: field '${key}' is not a number`)
  return v
}

export function arr(ctx: Ctx, o: Json, key: string): unknown[] {
  const v = o[key]
  if (!Array.isArray(v)) fail(ctx, `${String(o.type ?? 'component')}: field '${key}' is not an array`)
  return v
}
