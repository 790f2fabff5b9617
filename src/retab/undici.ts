/**
 * The parts of undici the client uses, loaded alone. undici's package entry also loads fetch,
 * WebSocket, EventSource, cookies, caches, mocks and SOCKS support; evaluating those was the largest
 * part of the action's start. These are the modules that entry itself puts together (see its
 * index.js): the request API mixed into the dispatchers, and the proxy-aware agent (with the pool it
 * already loads, for its client to the proxy).
 */
import type { Dispatcher as DispatcherType } from 'undici';
import api from 'undici/lib/api/index.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgentClass from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import PoolClass from 'undici/lib/dispatcher/pool.js';

// What undici's entry does once: every dispatcher gets `request`, `stream` and the rest.
Object.assign(Dispatcher.prototype, api);

export const EnvHttpProxyAgent = EnvHttpProxyAgentClass;
export type EnvHttpProxyAgent = InstanceType<typeof EnvHttpProxyAgentClass>;
export const Pool = PoolClass;

/** undici's `request(url, options)`, for a URL and a dispatcher given. */
export function request(url: URL, options: Omit<DispatcherType.RequestOptions, 'origin' | 'path'> & { dispatcher: DispatcherType }): Promise<DispatcherType.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatcher.request({ ...rest, origin: url.origin, path: `${url.pathname}${url.search}` });
}
