/**
 * The built action (dist/index.js) against servers, proxies and networks that break HTTP in ways the
 * simulator does not: whatever they do, the action ends by its timeout (or at once when the job is
 * cancelled), writes its outputs and summary, and fails. Run `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { startConnectProxy } from './support/connect-proxy.js';
import { runAction } from './support/run-action.js';

const KEY = 'rt_test_transport_attacks_key';
/** Debug logging on: every request's line is written, and the key must still appear only in `::add-mask::`. */
const DEBUG = { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' };

/** A TCP server on 127.0.0.1 that does `onRequest` with each connection once its first bytes arrive. */
async function rawServer(onRequest: (socket: Socket) => void): Promise<{ server: Server; port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', () => onRequest(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends SIGTERM once `ready()` holds; records when, and when the process ended. */
function sigtermWhen(ready: () => boolean) {
  const times = { sentAt: 0, endedAt: 0 };
  const onStart = (child: ChildProcess) => {
    const timer = setInterval(() => {
      if (!ready()) return;
      clearInterval(timer);
      times.sentAt = Date.now();
      child.kill('SIGTERM');
    }, 20);
    child.on('close', () => {
      clearInterval(timer);
      times.endedAt = Date.now();
    });
  };
  return { times, onStart };
}

function expectFailedWithReport(result: Awaited<ReturnType<typeof runAction>>, status: string) {
  expect(result.signal).toBeNull();
  expect(result.exitCode).toBe(1);
  expect(result.outputs).toMatchObject({ status, passed: 'false' });
  expect(result.summary).toContain('Retab experiment gate: failed');
  expect(result.stdout.split('\n').filter((line) => line.startsWith('::error'))).toHaveLength(1);
  expect(`${result.stdout}${result.stderr}${result.summary}`.replaceAll(`::add-mask::${KEY}`, '')).not.toContain(KEY);
}

describe('a server that breaks HTTP', () => {
  it('a 101 Switching Protocols to every request: each attempt fails, and the gate ends at its timeout', async () => {
    const raw = await rawServer((socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    try {
      const result = await runAction({
        inputs: { run_id: 'exprun_upgraded', threshold: '0.8', api_key: KEY, base_url: `http://127.0.0.1:${raw.port}`, timeout: '3s', poll_interval: '1s' },
        env: DEBUG,
        killAfterMs: 30_000,
      });
      expectFailedWithReport(result, 'timed_out');
      expect(result.stdout).toContain('(UND_ERR_SOCKET)');
      expect(raw.accepted()).toBeGreaterThanOrEqual(2);
    } finally {
      await raw.close();
    }
  });

  it('SIGTERM while a TLS handshake is left unanswered: the process ends at once, the connection timer does not hold it', async () => {
    const raw = await rawServer(() => {});
    try {
      const { times, onStart } = sigtermWhen(() => raw.accepted() > 0);
      const result = await runAction({
        inputs: { experiment_id: 'exp_pass', threshold: '0.8', api_key: KEY, base_url: `https://127.0.0.1:${raw.port}`, timeout: '10m' },
        env: DEBUG,
        onStart,
        killAfterMs: 30_000,
      });
      expectFailedWithReport(result, 'interrupted');
      // The connection limit is 10 s: far above this bound.
      expect(times.endedAt - times.sentAt).toBeLessThan(5_000);
    } finally {
      await raw.close();
    }
  });
});

describe('a proxy that breaks the CONNECT', () => {
  it('drops every CONNECT unanswered: each attempt fails, with backoff, and the gate ends at its timeout', async () => {
    const sim = await startSimulator();
    const proxy = await startConnectProxy({ misbehave: 'drop' });
    try {
      const result = await runAction({
        inputs: { run_id: 'exprun_pass', threshold: '0.8', api_key: KEY, base_url: sim.url, timeout: '3s', poll_interval: '1s' },
        env: { ...DEBUG, HTTP_PROXY: proxy.url },
        killAfterMs: 30_000,
      });
      expectFailedWithReport(result, 'timed_out');
      expect(result.stdout).toContain('(PROXY_TUNNEL_FAILED: the proxy did not open the tunnel');
      // One CONNECT per attempt, not thousands a second.
      expect(proxy.connects.length).toBeGreaterThanOrEqual(2);
      expect(proxy.connects.length).toBeLessThan(30);
      expect(sim.requests).toHaveLength(0);
    } finally {
      await proxy.close();
      await sim.close();
    }
  });

  it('SIGTERM while the proxy leaves the CONNECT unanswered: the process ends at once', async () => {
    const sim = await startSimulator();
    const proxy = await startConnectProxy({ misbehave: 'silent' });
    try {
      const { times, onStart } = sigtermWhen(() => proxy.connects.length > 0);
      const result = await runAction({
        inputs: { run_id: 'exprun_pass', threshold: '0.8', api_key: KEY, base_url: sim.url, timeout: '10m' },
        env: { ...DEBUG, HTTP_PROXY: proxy.url },
        onStart,
        killAfterMs: 30_000,
      });
      expectFailedWithReport(result, 'interrupted');
      // The proxy gets 10 s to answer, the request 30 s: far above this bound.
      expect(times.endedAt - times.sentAt).toBeLessThan(5_000);
    } finally {
      await proxy.close();
      await sim.close();
    }
  });
});

/** Writes `chunk` to `socket` every `ms` until it closes. */
function drip(socket: Socket, chunk: string, ms: number): void {
  const timer = setInterval(() => socket.write(chunk), ms);
  socket.on('close', () => clearInterval(timer));
}

/**
 * Servers that answer and never finish. Each is met directly, and as a proxy that opens the tunnel
 * (`HTTP/1.1 200`) and then answers inside it the same way, or that answers the CONNECT itself so.
 */
const NEVER_FINISHING: [string, (socket: Socket) => void][] = [
  ['a flood of 100 Continue', (socket) => drip(socket, 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(50), 1)],
  ['a flood of 103 Early Hints with 8 KB headers', (socket) => drip(socket, `HTTP/1.1 103 Early Hints\r\nLink: <${'a'.repeat(8_000)}>\r\n\r\n`, 1)],
  ['headers dripped, one short line every 50 ms', (socket) => { socket.write('HTTP/1.1 200 OK\r\n'); drip(socket, 'X-A: b\r\n', 50); }],
  ['a body dripped, one byte every 50 ms', (socket) => { socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'); drip(socket, '1\r\n \r\n', 50); }],
];

describe.each([
  ['directly', 'direct'],
  ['inside the tunnel of a proxy', 'tunnel'],
  ['as the answer to the CONNECT', 'connect'],
] as const)('a server that never finishes its answer, %s', (_where, where) => {
  /** The server (or proxy) on 127.0.0.1 behaving as `behave`, and the base_url and environment to reach it. */
  async function setUp(behave: (socket: Socket) => void) {
    const raw = await rawServer((socket) => {
      if (where !== 'tunnel') return behave(socket);
      // The CONNECT came first: open the "tunnel", then answer the request that comes through it.
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      socket.once('data', () => behave(socket));
    });
    const via = where === 'direct' ? {} : { HTTP_PROXY: `http://127.0.0.1:${raw.port}` };
    const baseUrl = where === 'direct' ? `http://127.0.0.1:${raw.port}` : 'http://127.0.0.1:1';
    return { raw, baseUrl, env: { ...DEBUG, ...via } };
  }

  it.each(NEVER_FINISHING)('%s: the gate ends at its timeout', async (_name, behave) => {
    const { raw, baseUrl, env } = await setUp(behave);
    try {
      const started = Date.now();
      const result = await runAction({ inputs: { run_id: 'exprun_flooded', threshold: '0.8', api_key: KEY, base_url: baseUrl, timeout: '3s', poll_interval: '1s' }, env, killAfterMs: 30_000 });
      expectFailedWithReport(result, 'timed_out');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await raw.close();
    }
  });

  it.each(NEVER_FINISHING)('%s: SIGTERM while it goes on ends the process at once', async (_name, behave) => {
    const { raw, baseUrl, env } = await setUp(behave);
    try {
      let since = 0;
      const { times, onStart } = sigtermWhen(() => raw.accepted() > 0 && (since ||= Date.now()) < Date.now() - 300);
      const result = await runAction({ inputs: { experiment_id: 'exp_pass', threshold: '0.8', api_key: KEY, base_url: baseUrl, timeout: '10m' }, env, onStart, killAfterMs: 30_000 });
      expectFailedWithReport(result, 'interrupted');
      expect(times.endedAt - times.sentAt).toBeLessThan(5_000);
    } finally {
      await raw.close();
    }
  });
});
