/**
 * HTTP errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`, the status
 * codes the OpenAI API uses (400 bad request, 401 bad key, 404 unknown model or path, 413 body
 * too large, 429 queue full, 503 shutting down). Never a stack trace: anything unexpected is a
 * 500 with its first message line.
 */
import type { ServerResponse } from 'node:http'
import { EXIT, LlmError } from '../errors.js'

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message)
  }

  get body(): { error: { message: string; type: ErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null): ApiError =>
  new ApiError(400, message, 'invalid_request_error', code, param)

/** Any thrown value as an ApiError: our usage errors are the client's fault (400), the rest 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof LlmError) {
    const line = err.oneLine()
    if (err.exitCode === EXIT.usage) return badRequest(line, null, /context/.test(err.message) ? 'context_length_exceeded' : null)
    return new ApiError(500, line, 'server_error')
  }
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
  return new ApiError(500, message || 'internal error', 'server_error')
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) { res.end(); return }
  const headers: Record<string, string> = {}
  if (err.status === 401) headers['www-authenticate'] = 'Bearer'
  if (err.status === 429 || err.status === 503) headers['retry-after'] = '1'
  sendJson(res, err.status, err.body, headers)
}
