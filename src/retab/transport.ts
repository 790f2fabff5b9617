/**
 * What the client needs from HTTP, whoever carries it: one request out, its status, headers and
 * body (a stream the client reads within its caps) back. Two carry it: Node's own `http`/`https`
 * (direct-transport.ts), and undici's proxy-aware agent when a proxy variable applies
 * (proxy-transport.ts, loaded only then: its start costs about as much as the rest of the action).
 */
import type { Env } from '../env.js';
import { directTransport } from './direct-transport.js';
import { checkProxySettings, proxyFor } from './proxy.js';

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  /** Sent as is, with its length. */
  body?: string;
  /** Aborts the request, and the reading of its body. */
  signal: AbortSignal;
}

export interface HttpAnswer {
  statusCode: number;
  /** Lower-case names; a repeated header as a list or joined, as the carrier gives it. */
  headers: Record<string, string | string[] | undefined>;
  /** Read at most once; `destroy` drops the rest unread. */
  body: AsyncIterable<Uint8Array> & { destroy(): void };
}

export interface Transport {
  /** Resolves once the status and headers are in; rejects when no answer came (the error's `code` says why). */
  request(url: URL, request: HttpRequest): Promise<HttpAnswer>;
  /** Drops the kept-alive connections. */
  close(): Promise<void>;
}

/**
 * The transport for requests to `baseUrl`: through the proxy the environment names for its scheme
 * (HTTPS_PROXY, HTTP_PROXY; NO_PROXY is applied there), else direct. A proxy variable that is set
 * but is not a URL throws, whichever scheme it is for, before any request.
 */
export async function transportFor(baseUrl: URL, env: Env): Promise<Transport> {
  checkProxySettings(env);
  if (proxyFor(baseUrl, env) === undefined) return directTransport();
  const { proxyTransport } = await import('./proxy-transport.js');
  return proxyTransport(env);
}
