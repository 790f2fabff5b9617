/**
 * Requests straight to the server with Node's own `http` and `https`: part of Node, so they cost the
 * action's start next to nothing (the bundled undici took some 25 ms to load). Connections are kept
 * alive between GETs (a POST gets a new one), redirects are never followed (Node does not), and a
 * connection that is not made within `connectTimeoutMs` fails with `CONNECT_TIMEOUT`, which, like
 * a refused connection, proves the request was never sent.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { HttpAnswer, HttpRequest, Transport } from './transport.js';

export interface DirectTransportOptions {
  /** How host names are resolved; `dns.lookup` by default. */
  lookup?: LookupFunction;
  /** The time to connect, TLS included; 10 s by default, as undici's. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Idle kept-alive connections are dropped after this, before a server's usual 5 s drops them under a request. */
const IDLE_SOCKET_MS = 4_000;

export function directTransport(options: DirectTransportOptions = {}): Transport {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const agents = {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };
  return {
    request(url: URL, { method, headers, body, signal }: HttpRequest): Promise<HttpAnswer> {
      const secure = url.protocol === 'https:';
      return new Promise((resolve, reject) => {
        const sent = (secure ? https : http).request(
          url,
          {
            method,
            headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            // A POST is not idempotent: on a kept-alive connection the server may be closing just then,
            // which would leave unknown whether it started a run. A new connection has no such race.
            agent: method === 'GET' ? (secure ? agents.https : agents.http) : false,
            signal,
            ...(options.lookup ? { lookup: options.lookup } : {}),
          },
          // Repeated headers as lists, as undici gives them: joined, two `Date`s would read as no date.
          (response) => resolve({ statusCode: response.statusCode ?? 0, headers: response.headersDistinct, body: response }),
        );
        sent.on('error', reject);
        // Node ends a request without an error or an answer when the server switches protocols (101)
        // unasked; after an answer or an error, this does nothing.
        sent.on('close', () => reject(Object.assign(new Error('the connection closed without an answer'), { code: 'NO_ANSWER' })));
        sent.on('socket', (socket) => limitConnectTime(socket, secure, connectTimeoutMs, (error) => sent.destroy(error)));
        sent.end(body);
      });
    },
    async close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** A new socket gets `ms` to connect (and finish TLS); a kept-alive one is already there. */
function limitConnectTime(socket: Socket, secure: boolean, ms: number, fail: (error: Error) => void): void {
  if (!socket.connecting) return;
  const timer = setTimeout(() => fail(Object.assign(new Error(`could not connect within ${ms} ms`), { code: 'CONNECT_TIMEOUT' })), ms);
  const ready = () => clearTimeout(timer);
  socket.once(secure ? 'secureConnect' : 'connect', ready);
  socket.once('close', ready);
}
