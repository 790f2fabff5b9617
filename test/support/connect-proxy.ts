/**
 * A real HTTP CONNECT proxy on 127.0.0.1, like the ones in front of self-hosted runners: it opens a
 * TCP tunnel to whatever `host:port` the client asks for, and records each CONNECT it served.
 */
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectRecord {
  target: string;
  headers: IncomingHttpHeaders;
}

/**
 * `refuse`: answer every CONNECT with this status instead (403 forbidden, 407 authentication required).
 * `misbehave`: `drop` closes the connection on every CONNECT, unanswered; `silent` never answers it.
 * `dropOnly`: with `drop`, only the CONNECTs whose index (0 for the first) it holds.
 * `tls`: the proxy itself is reached over TLS (`https://`), with this key and certificate.
 */
export async function startConnectProxy(options: { refuse?: number; misbehave?: 'drop' | 'silent'; dropOnly?: number[]; tls?: { key: string; cert: string } } = {}) {
  const connects: ConnectRecord[] = [];
  const sockets = new Set<Socket>();
  // Plain (non-CONNECT) proxy requests are not expected from undici: refuse them visibly.
  const refusePlain: RequestListener = (_req, res) => res.writeHead(405).end();
  const server = options.tls ? createTlsServer(options.tls, refusePlain) : createServer(refusePlain);
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push({ target, headers: req.headers });
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (options.misbehave === 'drop' && (options.dropOnly?.includes(connects.length - 1) ?? true)) return client.destroy();
    if (options.misbehave === 'silent') return;
    if (options.refuse !== undefined) {
      const challenge = options.refuse === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : '';
      client.end(`HTTP/1.1 ${options.refuse} Refused\r\n${challenge}Content-Length: 0\r\n\r\n`);
      return;
    }
    // `host:port`, or `[v6]:port` for an IPv6 address.
    const separator = target.lastIndexOf(':');
    const host = target.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
    const upstream = connect(Number(target.slice(separator + 1)), host || '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    connects,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
