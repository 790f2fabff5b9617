/**
 * A Retab that never answered during the step (a typo in `base_url`, a network that does not reach
 * it) is given up on after `NO_ANSWER_LIMIT_MS`, with `api_error` and a message naming the address;
 * once it has answered anything, a later refusal is an outage, retried until `timeout`. Through
 * `run()`, with the real transport against 127.0.0.1 and a virtual clock: the sleeps take no time,
 * so the real 60 s limit is what is tested.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { run, type Dependencies } from '../src/main.js';
import { NO_ANSWER_LIMIT_MS } from '../src/retab/no-answer.js';
import { httpTransport } from '../src/retab/transport.js';
import { startConnectProxy } from './support/connect-proxy.js';
import { recordingIO } from './support/recording-io.js';
import { virtualClock } from './support/virtual-clock.js';
import { freePort } from './support/free-port.js';

const KEY = 'rt_test_simulator_key';


/** The action through `run()` on a virtual clock (which moves only when it sleeps), with the default 30 minute `timeout`. */
async function gate(inputs: Record<string, string>, deps: Partial<Dependencies> = {}) {
  const clock = virtualClock(1_000_000);
  const { io, recording } = recordingIO({ threshold: '0.8', max_errors: '0', api_key: KEY, timeout: '30m', poll_interval: '10s', ...inputs });
  await run({ io, env: {}, now: clock.now, sleep: clock.sleep, random: () => 0.95, requestTimeoutMs: 2_000, ...deps });
  return { ...recording, outputs: recording.outputs, elapsedMs: clock.now() - 1_000_000, sleeps: clock.sleeps };
}

/** A server that answers `status` to the first request, then closes for good: every later connection is refused. */
async function answersOnceThenCloses(status: number): Promise<{ url: string; answered: () => number }> {
  let answered = 0;
  const server = createHttpServer((_req, res) => {
    answered += 1;
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end('{"detail":"Service unavailable"}');
    server.close();
    server.closeAllConnections();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, answered: () => answered };
}

function expectGaveUp(result: Awaited<ReturnType<typeof gate>>, origin: string, cause: RegExp) {
  expect(result.outputs.status).toBe('api_error');
  expect(result.outputs.passed).toBe('false');
  expect(result.failed).toContain(`Retab at ${origin} never answered`);
  expect(result.failed).toMatch(cause);
  expect(result.failed).toContain('Check `base_url`');
  // The last try at the limit, not a backoff later, and long before the 30 minute `timeout`.
  expect(result.elapsedMs).toBeGreaterThanOrEqual(NO_ANSWER_LIMIT_MS);
  expect(result.elapsedMs).toBeLessThanOrEqual(NO_ANSWER_LIMIT_MS + 1_000);
}

describe('a Retab that never answered during the step', () => {
  it('a refused start (experiment_id) gives up after the limit with api_error, naming the address', async () => {
    const origin = `http://127.0.0.1:${await freePort()}`;
    const result = await gate({ experiment_id: 'exp_pass', base_url: origin });
    expectGaveUp(result, origin, /the connection was refused \(ECONNREFUSED\)/);
    expect(result.failed).toContain('could not start a run of experiment exp_pass');
    // It was retried meanwhile, as a passing refusal is.
    expect(result.sleeps.length).toBeGreaterThanOrEqual(3);
  });

  it('a refused wait (run_id) gives up the same way', async () => {
    const origin = `http://127.0.0.1:${await freePort()}`;
    const result = await gate({ run_id: 'exprun_pass', base_url: origin });
    expectGaveUp(result, origin, /ECONNREFUSED/);
    expect(result.failed).toContain('could not read run exprun_pass');
  });

  it('a host name that does not resolve gives up the same way', async () => {
    const lookup = ((_host: string, _options: unknown, callback: (error: Error) => void) =>
      callback(Object.assign(new Error('getaddrinfo ENOTFOUND api.retab.cm'), { code: 'ENOTFOUND' }))) as never;
    const result = await gate({ run_id: 'exprun_pass', base_url: 'https://api.retab.cm' }, { transport: httpTransport({ lookup }) });
    expectGaveUp(result, 'https://api.retab.cm', /the host name does not resolve \(ENOTFOUND\)/);
  });

  it('a TLS handshake that never completes (a server that closes every connection) gives up the same way', async () => {
    const sockets = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => sockets.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `https://127.0.0.1:${(sockets.address() as AddressInfo).port}`;
      const result = await gate({ run_id: 'exprun_pass', base_url: origin });
      expectGaveUp(result, origin, /\((ECONNRESET|UND_ERR_SOCKET|ERR_SSL_[A-Z_]+)\)/);
    } finally {
      await new Promise((resolve) => sockets.close(resolve));
    }
  });

  it('several experiments share one notion of it: all give up at the same limit, not one limit each', async () => {
    const origin = `http://127.0.0.1:${await freePort()}`;
    const result = await gate({ experiments: 'exp_pass\nexp_low\nrun:exprun_pass', base_url: origin });
    expect(result.outputs.status).toBe('api_error');
    const rows = JSON.parse(result.outputs.results ?? '[]') as Array<{ status: string }>;
    expect(rows.map((row) => row.status)).toEqual(['api_error', 'api_error', 'api_error']);
    expect(result.failed?.match(/never answered/g)).toHaveLength(3);
    expect(result.failed).toContain('Check `base_url`');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(NO_ANSWER_LIMIT_MS);
    expect(result.elapsedMs).toBeLessThanOrEqual(NO_ANSWER_LIMIT_MS + 1_000);
  });

  it('a proxy that answers 502 to the tunnel is not Retab answering: given up on, naming the proxy', async () => {
    const proxy = await startConnectProxy({ refuse: 502 });
    try {
      const origin = `http://127.0.0.1:${await freePort()}`;
      // The proxy as the runner's environment names it: the transport is chosen from it.
      const result = await gate({ run_id: 'exprun_pass', base_url: origin }, { env: { HTTP_PROXY: proxy.url } });
      expectGaveUp(result, origin, /the proxy http:\/\/127\.0\.0\.1:\d+ could not connect to it \(HTTP 502\)/);
      expect(result.failed).toContain('the proxy variables');
      expect(proxy.connects.length).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.close();
    }
  });
});

describe('once Retab has answered anything, it is retried until the timeout', () => {
  it('a 503, then refusals: the wait goes on until `timeout` (timed_out, not api_error)', async () => {
    const server = await answersOnceThenCloses(503);
    const result = await gate({ run_id: 'exprun_pass', base_url: server.url, timeout: '5m' });
    expect(server.answered()).toBe(1);
    expect(result.outputs.status).toBe('timed_out');
    expect(result.failed).not.toContain('never answered');
    expect(result.failed).toContain('ECONNREFUSED');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(5 * 60_000);
  });

  it('a 503 to the start, then refusals: the start is not given up on after the limit', async () => {
    const server = await answersOnceThenCloses(503);
    const result = await gate({ experiment_id: 'exp_pass', base_url: server.url, timeout: '5m' });
    expect(server.answered()).toBe(1);
    expect(result.failed).not.toContain('never answered');
    expect(result.elapsedMs).toBeGreaterThan(NO_ANSWER_LIMIT_MS + 1_000);
  });

  it('with several experiments, an answer to one request counts for all', async () => {
    const server = await answersOnceThenCloses(429);
    const result = await gate({ experiments: 'run:exprun_pass\nrun:exprun_low', base_url: server.url, timeout: '3m' });
    expect(server.answered()).toBe(1);
    const rows = JSON.parse(result.outputs.results ?? '[]') as Array<{ status: string }>;
    expect(rows.map((row) => row.status)).toEqual(['timed_out', 'timed_out']);
    expect(result.failed).not.toContain('never answered');
  });
});
