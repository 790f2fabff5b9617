/**
 * Requests through the proxy the environment names: undici's `EnvHttpProxyAgent` (CONNECT tunnels
 * for https, NO_PROXY), fed from the given environment rather than from `process.env` behind our
 * back, so what the action sees is what the tests pass in. Loaded only when a proxy applies.
 */
import type { Dispatcher } from 'undici';
import type { Env } from '../env.js';
import { proxySettings } from './proxy.js';
import type { HttpAnswer, HttpRequest, Transport } from './transport.js';
import { EnvHttpProxyAgent, request } from './undici.js';

export function proxyTransport(env: Env): Transport {
  const { httpProxy, httpsProxy, noProxy } = proxySettings(env);
  // Passing `undefined` would make undici read process.env itself; '' means "no proxy" there too.
  return undiciTransport(new EnvHttpProxyAgent({ httpProxy: httpProxy ?? '', httpsProxy: httpsProxy ?? '', noProxy }));
}

/** Any undici dispatcher as a transport; closing the transport destroys the dispatcher. */
export function undiciTransport(dispatcher: Dispatcher): Transport {
  return {
    async request(url: URL, { method, headers, body, signal }: HttpRequest): Promise<HttpAnswer> {
      const answer = await request(url, { method, dispatcher, signal, headers, body });
      return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
    },
    async close() {
      await dispatcher.destroy();
    },
  };
}
