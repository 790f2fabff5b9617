/**
 * The direct transport (Node's own http and https, what the action uses without a proxy) against
 * real servers on 127.0.0.1: connections kept between requests and dropped on close, a connection
 * that cannot be made fails as never sent, and a POST carries its length.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RetabClient } from '../src/retab/client.js';
import { directTransport } from '../src/retab/direct-transport.js';
import { RetabConnectionError } from '../src/retab/errors.js';
import { startSimulator } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let sim: Simulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the direct transport', () => {
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

  it('fails a connection not made in time with CONNECT_TIMEOUT: the request was never sent', async () => {
    const hang: LookupFunction = () => {};
    const transport = directTransport({ lookup: hang, connectTimeoutMs: 100 });
    const client = new RetabClient({ baseUrl: new URL('http://retab.invalid'), apiKey: 'rt_test_key', transport, requestTimeoutMs: 5_000 });
    const started = Date.now();
    const error = await client.startRun('exp_pass', null).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(RetabConnectionError);
    expect((error as RetabConnectionError).code).toBe('CONNECT_TIMEOUT');
    expect((error as RetabConnectionError).neverSent).toBe(true);
    await client.close();
  });

  it('does not time out a connection that is made, however long the answer takes (the request timeout does)', async () => {
    sim = await startSimulator();
    sim.fault({ path: '/v1/', action: 'hang' });
    const client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey, transport: directTransport({ connectTimeoutMs: 50 }), requestTimeoutMs: 300 });
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
});
