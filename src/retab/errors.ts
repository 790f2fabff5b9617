/**
 * One error hierarchy for everything the Retab client can meet. Whether an error is worth retrying
 * is decided once, here, on the error itself.
 */
import { formatDuration } from '../common/duration.js';

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

/**
 * TLS errors about the certificate itself: retrying cannot fix them. Typical on a self-hosted
 * runner behind a proxy that re-signs TLS with its own certificate authority.
 */
export const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Connection failures that prove the request never left: nothing can have happened at Retab. */
export const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'PROXY_TUNNEL_FAILED']);

/** The request did not get an answer: refused, reset, DNS, TLS. */
export class RetabConnectionError extends RetabError {
  override readonly name = 'RetabConnectionError';
  readonly retryable: boolean;
  constructor(
    readonly code: string,
    request: RequestInfo,
    readonly origin: string,
    cause: unknown,
  ) {
    const certificate = CERTIFICATE_CODES.has(code);
    // The proxy transport's code for a tunnel that did not open carries its reason in its message.
    const why = code === 'PROXY_TUNNEL_FAILED' && cause instanceof Error ? `${code}: ${cause.message}` : code;
    const hint = certificate
      ? '. The TLS certificate was not accepted; behind a proxy that inspects TLS, point NODE_EXTRA_CA_CERTS at its certificate authority'
      : '';
    super(`Could not reach Retab at ${origin} for ${request.method} ${request.path} (${why})${hint}`, request, { cause });
    this.retryable = !certificate;
  }

  /** True when the request provably never reached the server (nothing can have happened there). */
  get neverSent(): boolean {
    return NEVER_SENT_CODES.has(this.code);
  }
}

/**
 * The proxy (HTTPS_PROXY / HTTP_PROXY) refused to open the tunnel to Retab, so nothing reached
 * Retab. A refusal (403, 407, any 4xx) is the same on every try and is not retried; a proxy's own
 * 5xx (it could not reach Retab) may pass and is.
 */
export class RetabProxyError extends RetabError {
  override readonly name = 'RetabProxyError';
  readonly retryable: boolean;
  constructor(
    readonly proxyStatus: number,
    /** The proxy's origin, without any credentials written into its URL. */
    readonly proxy: string,
    request: RequestInfo,
    readonly origin: string,
    cause: unknown,
  ) {
    const why = proxyStatus === 407 ? 'it asks for authentication (HTTP 407)' : `it answered HTTP ${proxyStatus}`;
    super(
      `The proxy ${proxy} ${proxyStatus >= 500 ? 'could not connect' : 'refused to connect'} to Retab at ${origin} for ${request.method} ${request.path}: ${why}. Check the proxy variables (HTTPS_PROXY, HTTP_PROXY) and their credentials, or list the host in NO_PROXY`,
      request,
      { cause },
    );
    this.retryable = proxyStatus >= 500;
  }
}

/** What a connection error's code means, in words, for the message that gives up on Retab. */
const NO_ANSWER_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved',
  UND_ERR_CONNECT_TIMEOUT: 'the connection could not be made in time',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'there is no route to the host',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection was closed',
  PROXY_TUNNEL_FAILED: 'the proxy did not open a tunnel to it',
};

/**
 * Retab never answered anything during the step, for `NO_ANSWER_LIMIT_MS` of tries (see
 * no-answer.ts): almost always a wrong `base_url`, or a network that does not reach it. Not
 * retried: the step stops with `api_error` rather than spend its whole `timeout` on it.
 */
export class RetabNeverAnsweredError extends RetabError {
  override readonly name = 'RetabNeverAnsweredError';
  readonly retryable = false;
  /** Whether the last try provably never left (see `RetabConnectionError.neverSent`); a proxy that could not connect sent nothing on. */
  readonly neverSent: boolean;
  constructor(
    /** The last try's error: a `RetabConnectionError`, or a `RetabProxyError` for a proxy that could not connect. */
    readonly last: RetabConnectionError | RetabProxyError,
    readonly origin: string,
    triedForMs: number,
  ) {
    const why =
      last instanceof RetabProxyError
        ? `the proxy ${last.proxy} could not connect to it (HTTP ${last.proxyStatus})`
        : `${NO_ANSWER_REASONS[last.code] ?? 'no connection could be made'} (${last.code})`;
    const proxyHint = last instanceof RetabProxyError || last.code === 'PROXY_TUNNEL_FAILED' ? ', and the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)' : '';
    super(
      `Retab at ${origin} never answered: ${why}, on every try for ${formatDuration(triedForMs)}. Check \`base_url\`${proxyHint}`,
      last.request,
      { cause: last },
    );
    this.neverSent = last instanceof RetabProxyError || last.neverSent;
  }
}

/**
 * A request withdrawn before it was handed to the network: it was still waiting for its turn (in
 * the step's request queue or a shared 429 pause, see many/pace.ts). Nothing can have happened at
 * Retab, so a start that ends this way is never looked for, adopted or cancelled.
 */
export class RequestNotSentError extends Error {
  override readonly name = 'RequestNotSentError';
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

/** `malformed`: JSON of the right shape whose id or status breaks the strict patterns, or that is about another run. */
export type ResponseProblem = 'not_json' | 'truncated' | 'too_large' | 'unexpected_shape' | 'malformed';

/** Malformed answers in a row before the read gives up on them (`api_error`) rather than waiting for the timeout. */
export const MALFORMED_ANSWER_LIMIT = 3;

/** An answer whose body cannot be used. */
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
    // A malformed answer may be a glitch (a cache serving another run's answer): retried a few times.
    this.retryable = problem === 'not_json' || problem === 'truncated' || problem === 'malformed';
  }
}

/** Whether `error` is worth another try; only a Retab error can say so. */
export function isRetryable(error: unknown): error is RetabError {
  return error instanceof RetabError && error.retryable;
}

/** An answer whose id or status cannot be trusted (see `MALFORMED_ANSWER_LIMIT`). */
export function isMalformed(error: unknown): error is RetabResponseError {
  return error instanceof RetabResponseError && error.problem === 'malformed';
}

/** How long the server asked us to wait (`Retry-After`), or null when it did not say. */
export function retryAfterOf(error: unknown): number | null {
  return error instanceof RetabApiError ? error.retryAfterMs : null;
}

function requestIdSuffix(requestId: string | null): string {
  return requestId ? ` (request id ${requestId})` : '';
}
