/**
 * Requests through a proxy: undici's `ProxyAgent`, which asks the proxy for a tunnel (CONNECT) to
 * the server, for http targets too, and speaks TLS inside it for https ones. The proxy is chosen
 * beforehand (proxy.ts); the key travels inside the tunnel, never in the CONNECT the proxy reads.
 */
import { Pool, ProxyAgent, type buildConnector, type Dispatcher } from 'undici';
import { CERTIFICATE_CODES, NEVER_SENT_CODES } from './errors.js';
import { refusedTunnelStatus } from './proxy.js';

/** The options for each connection undici makes: its time limit, its abort signal, its lookup. */
export type ConnectOptions = buildConnector.BuildOptions;

/** The time the proxy has to answer a CONNECT, as long as a connection has to be made. */
const TUNNEL_TIMEOUT_MS = 10_000;

/** A dispatcher that sends every request through `proxy`, each connection (to the proxy, and TLS inside its tunnel) made with `connect`. */
export function tunnelAgent(proxy: string, connect: ConnectOptions): Dispatcher {
  return new ProxyAgent({ uri: proxy, proxyTls: connect, requestTls: connect, clientFactory: tunnelClient }).compose(errorsAs(unopenedTunnel));
}

/**
 * undici's proxy agent takes any answer to the CONNECT but a 200 for a refusal ("Proxy response
 * (103) !== 200"). A refusal is a 3xx, 4xx or 5xx; a 1xx (a flood of Early Hints) or another 2xx is
 * an answer that opened nothing: `PROXY_TUNNEL_FAILED`, sent again like a dropped CONNECT.
 */
function unopenedTunnel(error: Error): Error {
  const status = refusedTunnelStatus(error);
  if (status === null || status >= 300) return error;
  // Without the refusal as its cause: the client would read the refusal there.
  return Object.assign(new Error(`the proxy did not open the tunnel (it answered HTTP ${status})`), { code: 'PROXY_TUNNEL_FAILED' });
}

/**
 * The client to the proxy, which asks it for each tunnel. Left to itself, undici waits 5 minutes
 * for the answer, and takes a CONNECT the proxy drops (closes unanswered, or answers with a 101)
 * for a passing fault, asking again at once, forever: thousands of CONNECTs a second. Here the
 * answer must come within `TUNNEL_TIMEOUT_MS`, and a CONNECT that fails once the proxy is reached
 * (dropped, unanswered, garbled) fails the request with `PROXY_TUNNEL_FAILED`, which the client
 * retries with its backoff. No tunnel, no request: nothing reached Retab, so even a start may be
 * sent again. (A CONNECT answered, but not with 200, is told apart later, by undici's proxy agent:
 * see `unopenedTunnel`.)
 */
function tunnelClient(origin: URL, options: object): Dispatcher {
  return new Pool(origin, { ...options, headersTimeout: TUNNEL_TIMEOUT_MS }).compose(errorsAs(tunnelFailure));
}

/** An interceptor: the request as it is, its error as `as` tells it. */
function errorsAs(as: (error: Error) => Error): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) =>
    dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, as(error)),
    });
}

/**
 * Why the CONNECT failed, as the client should take it: as it is when the proxy could not be
 * reached (already "never sent") or its certificate was refused (not worth retrying), else
 * `PROXY_TUNNEL_FAILED` with the reason in its message.
 */
function tunnelFailure(error: Error): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NEVER_SENT_CODES.has(code) || CERTIFICATE_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))) return error;
  const reason = typeof code === 'string' ? code : error.message || 'no reason given';
  return Object.assign(new Error(`the proxy did not open the tunnel (${reason})`, { cause: error }), { code: 'PROXY_TUNNEL_FAILED' });
}
