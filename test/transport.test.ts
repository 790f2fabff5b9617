/**
 * The transport (undici, straight to the server: what the action uses without a proxy) against
 * real servers on 127.0.0.1: connections kept between requests and dropped on close, a connection
 * (TLS included) that cannot be made fails as never sent, malformed HTTP fails the attempt as maybe
 * sent, a kept-alive connection closed as it is reused costs a GET one retry and never meets a
 * POST, and a POST carries its length.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type LookupFunction, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../src/main.js';
import { RetabClient } from '../src/retab/client.js';
import { httpTransport } from '../src/retab/transport.js';
import { isRetryable, RetabConnectionError } from '../src/retab/errors.js';
import { classifyStartFailure } from '../src/start/start-run.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { recordingIO } from './support/recording-io.js';
import { simulatorInputs } from './support/simulator-inputs.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A TCP server on 127.0.0.1 that hands each connection to `onConnection`, and destroys them all on close. */
async function tcpServer(onConnection: (socket: Socket) => void): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP server that does `onRequest` with each connection once its first bytes (the request) arrive. */
function rawServer(onRequest: (socket: Socket) => void) {
  return tcpServer((socket) => socket.once('data', () => onRequest(socket)));
}

/** What `promise` settled with, or 'still pending' after `ms`: a request that never settles fails the test rather than hanging it. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | unknown | 'still pending'> {
  return Promise.race([promise.catch((error: unknown) => error), new Promise<'still pending'>((resolve) => setTimeout(() => resolve('still pending'), ms))]);
}

describe('the transport', () => {
  it('keeps one connection for requests one after another, and drops it on close', async () => {
    sim = await startSimulator();
    const client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey });
    for (let i = 0; i < 5; i++) expect((await client.getRun('exprun_pass')).id).toBe('exprun_pass');
    expect(sim.connections()).toEqual({ accepted: 1, open: 1 });
    await client.close();
    const server = sim;
    await until(() => server.connections().open === 0);
    expect(sim.connections()).toEqual({ accepted: 1, open: 0 });
  });

  it('sends a POST on a new connection, never on a kept-alive one, and closes it after', async () => {
    sim = await startSimulator();
    const client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey });
    try {
      await client.getRun('exprun_pass');
      const run = await client.startRun('exp_pass', null);
      const server = sim;
      await until(() => server.connections().open === 1);
      expect(sim.connections()).toEqual({ accepted: 2, open: 1 });
      await client.getRun(run.id);
      expect(sim.connections().accepted).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('opens connections side by side for requests in flight together', async () => {
    sim = await startSimulator();
    const client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey });
    try {
      await Promise.all([1, 2, 3].map(() => client.getRun('exprun_pass')));
      expect(sim.connections().accepted).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('fails a connection not made in time with UND_ERR_CONNECT_TIMEOUT: the request was never sent', async () => {
    const hang: LookupFunction = () => {};
    const transport = httpTransport({ lookup: hang, connectTimeoutMs: 100 });
    const client = new RetabClient({ baseUrl: new URL('http://retab.invalid'), apiKey: 'rt_test_key', transport, requestTimeoutMs: 5_000 });
    const started = Date.now();
    const error = await client.startRun('exp_pass', null).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(RetabConnectionError);
    expect((error as RetabConnectionError).code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect((error as RetabConnectionError).neverSent).toBe(true);
    await client.close();
  });

  it('does not time out a connection that is made, however long the answer takes (the request timeout does)', async () => {
    sim = await startSimulator();
    sim.fault({ path: '/v1/', action: 'hang' });
    const client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey, transport: httpTransport({ connectTimeoutMs: 50 }), requestTimeoutMs: 300 });
    const error = await client.getRun('exprun_pass').catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('RetabTimeoutError');
    await client.close();
  });

  it('gives up on a body that stops coming half-way at the request time limit, and drops its connection', async () => {
    let open = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id": "exprun_pass", "lifecycle": {"status": "comp'); // …and nothing more
    });
    server.on('connection', (socket) => {
      open += 1;
      socket.on('close', () => (open -= 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new RetabClient({ baseUrl: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), apiKey: 'rt_test_key', requestTimeoutMs: 300 });
    try {
      const started = Date.now();
      const error = await client.getRun('exprun_pass').catch((caught: unknown) => caught);
      expect((error as Error).name).toBe('RetabTimeoutError');
      expect(Date.now() - started).toBeLessThan(2_000);
      await until(() => open === 0);
      expect(open).toBe(0);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads a repeated header as its first value, as undici did: two Dates still give Retab\'s clock', async () => {
    const server = createServer((_req, res) => {
      res.sendDate = false;
      res.setHeader('date', ['Wed, 21 Oct 2026 07:28:00 GMT', 'Thu, 22 Oct 2026 08:00:00 GMT']);
      res.setHeader('x-request-id', ['req_first', 'req_second']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const client = new RetabClient({ baseUrl: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), apiKey: 'rt_test_key', debug: (line) => lines.push(line) });
    try {
      const list = await client.listRecentRuns('exp_pass', 10);
      expect(list.serverDateMs).toBe(Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'));
      expect(lines.join('\n')).toContain('(request id req_first)');
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends a POST body with its length, not chunked', async () => {
    let seen: { headers: IncomingHttpHeaders; body: string } | null = null;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen = { headers: req.headers, body };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: 'exprun_new', lifecycle: { status: 'queued' }, experiment_id: 'exp_é' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new RetabClient({ baseUrl: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), apiKey: 'rt_test_key' });
    try {
      await client.startRun('exp_é', null).catch(() => null);
      expect(seen).not.toBeNull();
      const { headers, body } = seen as unknown as { headers: IncomingHttpHeaders; body: string };
      expect(JSON.parse(body)).toEqual({ experiment_id: 'exp_é' });
      expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(headers['transfer-encoding']).toBeUndefined();
      expect(headers['content-type']).toBe('application/json');
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const RUN_BODY = '{"id":"exprun_pass","lifecycle":{"status":"completed"}}';
  it.each([
    ['an invalid status line', 'HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}'],
    ['headers over 16 KiB', `HTTP/1.1 200 OK\r\nX-Padding: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`],
    ['invalid chunked encoding', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${RUN_BODY}\r\n0\r\n\r\n`],
    ['a body shorter than its Content-Length', `HTTP/1.1 200 OK\r\nContent-Length: ${RUN_BODY.length + 10}\r\n\r\n${RUN_BODY}`],
    ['two Content-Length headers', `HTTP/1.1 200 OK\r\nContent-Length: ${RUN_BODY.length}\r\nContent-Length: ${RUN_BODY.length}\r\n\r\n${RUN_BODY}`],
    ['a 101 Switching Protocols nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
  ])('%s: the attempt fails at once, retryable, and a POST so answered may have been sent', async (_name, answer) => {
    const raw = await rawServer((socket) => socket.end(answer));
    const client = new RetabClient({ baseUrl: new URL(`http://${raw.url}`), apiKey: 'rt_test_key', requestTimeoutMs: 60_000 });
    try {
      expect(isRetryable(await settledWithin(client.getRun('exprun_pass'), 5_000))).toBe(true);
      const error = await settledWithin(client.startRun('exp_pass', null), 5_000);
      expect(isRetryable(error)).toBe(true);
      expect(classifyStartFailure(error)).not.toBe('not_sent');
    } finally {
      await client.close();
      await raw.close();
    }
  });

  it('fails a TLS handshake that never finishes with UND_ERR_CONNECT_TIMEOUT: nothing was sent', async () => {
    // The server takes the TCP connection and never answers the TLS client hello.
    const raw = await rawServer(() => {});
    const client = new RetabClient({ baseUrl: new URL(`https://${raw.url}`), apiKey: 'rt_test_key', transport: httpTransport({ connectTimeoutMs: 200 }), requestTimeoutMs: 10_000 });
    try {
      const started = Date.now();
      const error = await client.startRun('exp_pass', null).catch((caught: unknown) => caught);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(RetabConnectionError);
      expect((error as RetabConnectionError).code).toBe('UND_ERR_CONNECT_TIMEOUT');
      expect((error as RetabConnectionError).neverSent).toBe(true);
    } finally {
      await client.close();
      await raw.close();
    }
  });

  it('a kept-alive connection the server closes just as a request goes out on it: the GET is retried, the POST never meets it', async () => {
    sim = await startSimulator();
    const target = sim.port;
    // In front of the simulator: the first request that comes on a connection already used is
    // dropped with its connection, unanswered, as a server closing an idle connection just then.
    const dropped: string[] = [];
    const forwarder = await tcpServer((socket) => {
      const upstream = connect(target, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.pipe(socket);
      let requests = 0;
      socket.on('data', (data) => {
        requests += 1;
        if (requests === 2 && dropped.length === 0) {
          dropped.push(data.toString('latin1').split(' ')[0] ?? '');
          socket.destroy();
          return;
        }
        upstream.write(data);
      });
    });
    try {
      const { io, recording } = recordingIO(simulatorInputs(sim, { experiment_id: 'exp_pass', base_url: `http://${forwarder.url}`, timeout: '20s' }));
      await run({ io, env: {}, backoff: { baseMs: 50, capMs: 200 } });
      expect(dropped).toEqual(['GET']);
      expect(recording.outputs).toMatchObject({ status: 'completed', passed: 'true' });
      expect(recording.warnings).toEqual([]);
      expect(sim.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
      expect(sim.startedRuns('exp_pass')).toHaveLength(1);
    } finally {
      await forwarder.close();
    }
  });
});
