/**
 * Requests through the proxy the environment names: undici's `EnvHttpProxyAgent` (CONNECT tunnels
 * for https, NO_PROXY), fed from the given environment rather than from `process.env` behind our
 * back, so what the action sees is what the tests pass in. Loaded only when a proxy variable is set
 * for `base_url`'s scheme (see transport.ts); NO_PROXY is applied here.
 */
import type { Dispatcher } from 'undici';
import type { Env } from '../env.js';
import { CERTIFICATE_CODES, NEVER_SENT_CODES } from './errors.js';
import { proxySettings } from './proxy.js';
import type { HttpAnswer, HttpRequest, Transport } from './transport.js';
import { EnvHttpProxyAgent, Pool, request } from './undici.js';

/** The time the proxy has to answer a CONNECT, as long as a connection has to be made. */
const TUNNEL_TIMEOUT_MS = 10_000;

export function proxyTransport(env: Env): Transport {
  const { httpProxy, httpsProxy, noProxy } = proxySettings(env);
  // Passing `undefined` would make undici read process.env itself; '' means "no proxy" there too.
  const agent = () => new EnvHttpProxyAgent({ httpProxy: httpProxy ?? '', httpsProxy: httpsProxy ?? '', noProxy, clientFactory: tunnelClient });
  return undiciTransport(agent(), agent());
}

/**
 * The client to the proxy, which asks it for each tunnel (CONNECT). Left to itself, undici waits
 * 5 minutes for the answer, and takes a CONNECT the proxy drops (closes unanswered, or answers with
 * a 101) for a passing fault, asking again at once, forever: thousands of CONNECTs a second. Here
 * the answer must come within `TUNNEL_TIMEOUT_MS`, and a CONNECT that fails once the proxy is
 * reached (dropped, unanswered, garbled) fails the request with `PROXY_TUNNEL_FAILED`, which the
 * client retries with its backoff. No tunnel, no request: nothing reached Retab, so even a start
 * may be sent again. (A proxy's refusal, a CONNECT answered but not with 200, is told apart later,
 * by undici's proxy agent: see `refusedTunnelStatus`.)
 */
function tunnelClient(origin: URL, options: object): Dispatcher {
  const pool = new Pool(origin, { ...options, headersTimeout: TUNNEL_TIMEOUT_MS });
  const connect = pool.connect.bind(pool) as (options: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
  const tunnel = (connectOptions: Dispatcher.ConnectOptions) => connect(connectOptions).catch((error: unknown) => Promise.reject(tunnelFailure(error)));
  pool.connect = ((connectOptions: Dispatcher.ConnectOptions, callback?: (error: Error | null, data: Dispatcher.ConnectData | null) => void) => {
    if (!callback) return tunnel(connectOptions);
    tunnel(connectOptions).then((data) => callback(null, data), (error: Error) => callback(error, null));
  }) as typeof pool.connect;
  return pool;
}

/**
 * Why the CONNECT failed, as the client should take it: as it is when the proxy could not be
 * reached (already "never sent") or its certificate was refused (not worth retrying), else
 * `PROXY_TUNNEL_FAILED` with the reason in its message.
 */
function tunnelFailure(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NEVER_SENT_CODES.has(code) || CERTIFICATE_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))) return error;
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : 'no reason given';
  return Object.assign(new Error(`the proxy did not open the tunnel (${reason})`, { cause: error }), { code: 'PROXY_TUNNEL_FAILED' });
}

/**
 * Any undici dispatcher as a transport; closing the transport destroys the dispatchers. GETs share
 * kept-alive connections. Any other request goes through `once` on a connection closed after it: a
 * POST is not idempotent, and on a kept-alive connection the server may be closing just then, which
 * would leave unknown whether it started a run (the direct transport does the same).
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
 * request has a connection, and opening one through a proxy can take long. The request left behind
 * ends with the transport; an answer that still comes is dropped.
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
