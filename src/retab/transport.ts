/**
 * What the client needs from HTTP: one request out, its status, headers and body (a stream the
 * client reads within its caps) back. undici carries every request, through its public API: an
 * `Agent` straight to the server, or a `ProxyAgent` when a proxy variable applies (tunnel.ts).
 *
 * What the action asks of it beyond undici's defaults, each for a reason:
 * - a connection (TLS included) gets 10 s to be made, then fails with `UND_ERR_CONNECT_TIMEOUT`,
 *   which like a refused connection proves the request was never sent;
 * - GETs share kept-alive connections, one after another on one (see `onFreedConnection`); any
 *   other request goes out on a connection of its own, closed after it (see `undiciTransport`);
 * - an abort is heeded at once, even while a connection is still being made, and closing the
 *   transport ends the connections still being made too (see `httpTransport`).
 * undici never follows redirects unasked, and gives a repeated header as a list.
 */
import { setMaxListeners } from 'node:events';
import type { LookupFunction } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import type { Env } from '../common/env.js';
import { checkProxySettings, proxyFor } from './proxy.js';
import { tunnelAgent, type ConnectOptions } from './tunnel.js';

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
  /** Lower-case names; a repeated header as a list. */
  headers: Record<string, string | string[] | undefined>;
  /** Read at most once; `destroy` drops the rest unread. */
  body: AsyncIterable<Uint8Array> & { destroy(): void };
}

export interface Transport {
  /** Resolves once the status and headers are in; rejects when no answer came (the error's `code` says why). */
  request(url: URL, request: HttpRequest): Promise<HttpAnswer>;
  /** Drops the kept-alive connections, and those still being made. */
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  /** The proxy to tunnel through (CONNECT); without one, requests go straight to the server. */
  proxy?: string;
  /** How host names are resolved; `dns.lookup` by default. */
  lookup?: LookupFunction;
  /** The time to connect, TLS included (to the proxy, and inside its tunnel, each); 10 s by default. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The transport for requests to `baseUrl`: through the proxy the environment names for its scheme
 * (HTTPS_PROXY, HTTP_PROXY) unless NO_PROXY lists it (see proxy.ts), else direct. A proxy variable
 * that is set but is not a URL throws, whichever scheme it is for, before any request.
 */
export function transportFor(baseUrl: URL, env: Env): Transport {
  checkProxySettings(env);
  const proxy = proxyFor(baseUrl, env);
  return httpTransport(proxy === undefined ? {} : { proxy });
}

export function httpTransport(options: HttpTransportOptions = {}): Transport {
  // undici's own `destroy` leaves a connection still being made (a TLS handshake never answered)
  // to its connect timeout, and that socket keeps the process alive: this signal, handed to every
  // socket, ends them all on close. Each socket listens to it while open: no limit on listeners.
  const closing = new AbortController();
  setMaxListeners(Infinity, closing.signal);
  const connect: ConnectOptions = {
    timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    signal: closing.signal,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  };
  const { proxy } = options;
  const dispatcher = () => (proxy === undefined ? new Agent({ connect }) : tunnelAgent(proxy, connect));
  const transport = undiciTransport(dispatcher().compose(onFreedConnection), dispatcher());
  return {
    request: transport.request,
    async close() {
      closing.abort(new Error('the transport is closed'));
      await transport.close();
    },
  };
}

/**
 * An interceptor for the kept-alive connections: each request is dispatched a turn of the event
 * loop later. undici waits that turn before it reuses a connection whose answer just ended (against
 * servers that close a connection they said they would keep), so the client's next GET, sent as
 * soon as the last body is read, would open a second connection; a turn later it takes the freed one.
 */
const onFreedConnection: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
  setImmediate(() => dispatch(options, handler));
  return true;
};

/**
 * Any undici dispatcher as a transport; closing the transport destroys the dispatchers. GETs share
 * kept-alive connections. Any other request goes through `once`, each with `reset` (a connection
 * closed after it), so `once` never holds a kept-alive connection and each such request gets a new
 * one: a POST is not idempotent, and on a kept-alive connection the server may be closing just
 * then, which would leave unknown whether it started a run.
 */
export function undiciTransport(dispatcher: Dispatcher, once: Dispatcher = dispatcher): Transport {
  return {
    async request(url: URL, { method, headers, body, signal }: HttpRequest): Promise<HttpAnswer> {
      const reused = method === 'GET';
      const answer = await untilAborted(request(url, { method, dispatcher: reused ? dispatcher : once, reset: !reused, signal, headers, body }), signal);
      return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
    },
    async close() {
      await Promise.all([dispatcher.destroy(), once === dispatcher ? undefined : once.destroy()]);
    },
  };
}

/**
 * The answer, or the signal's reason as soon as it aborts: undici heeds an abort only once the
 * request has a connection, and opening one (a TLS handshake, a tunnel through a proxy) can take
 * long. The request left behind ends with the transport; an answer that still comes is dropped.
 */
function untilAborted(answer: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    answer.then(
      (data) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) data.body.destroy();
        else resolve(data);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
