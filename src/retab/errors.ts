/**
 * One error hierarchy for everything the Retab client can meet. Whether an error is worth retrying
 * is decided once, here, on the error itself.
 */

export interface RequestInfo {
  method: string;
  /** Path and query, never the origin's credentials or headers. */
  path: string;
}

export abstract class RetabError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly request: RequestInfo,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Retab answered with an HTTP error status. */
export class RetabApiError extends RetabError {
  override readonly name = 'RetabApiError';
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly requestId: string | null,
    readonly detail: string,
    request: RequestInfo,
    readonly retryAfterMs: number | null,
    hint: string,
  ) {
    super(
      `Retab answered HTTP ${status} to ${request.method} ${request.path}${requestIdSuffix(requestId)}: ${detail}${hint ? `. ${hint}` : ''}`,
      request,
    );
    this.retryable = RETRYABLE_STATUSES.has(status);
  }
}

/** The request did not get an answer: refused, reset, DNS, TLS. */
export class RetabConnectionError extends RetabError {
  override readonly name = 'RetabConnectionError';
  readonly retryable = true;
  constructor(
    readonly code: string,
    request: RequestInfo,
    readonly origin: string,
    cause: unknown,
  ) {
    super(`Could not reach Retab at ${origin} for ${request.method} ${request.path} (${code})`, request, { cause });
  }

  /** True when the request provably never reached the server (nothing can have happened there). */
  get neverSent(): boolean {
    return ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(this.code);
  }
}

/** One request took longer than its own time limit. */
export class RetabTimeoutError extends RetabError {
  override readonly name = 'RetabTimeoutError';
  readonly retryable = true;
  constructor(
    readonly timeoutMs: number,
    request: RequestInfo,
  ) {
    super(`Retab did not answer ${request.method} ${request.path} within ${timeoutMs} ms`, request);
  }
}

export type ResponseProblem = 'not_json' | 'too_large' | 'unexpected_shape';

/** A 2xx answer whose body cannot be used. */
export class RetabResponseError extends RetabError {
  override readonly name = 'RetabResponseError';
  readonly retryable: boolean;
  constructor(
    readonly problem: ResponseProblem,
    readonly status: number,
    readonly requestId: string | null,
    request: RequestInfo,
    explanation: string,
  ) {
    super(
      `Retab's answer to ${request.method} ${request.path} (HTTP ${status}${requestId ? `, request id ${requestId}` : ''}) ${explanation}`,
      request,
    );
    // A gateway's HTML page or a cut-off body is transient; a body that is JSON of the wrong shape is not.
    this.retryable = problem === 'not_json';
  }
}

function requestIdSuffix(requestId: string | null): string {
  return requestId ? ` (request id ${requestId})` : '';
}
