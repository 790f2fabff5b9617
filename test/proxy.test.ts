/**
 * Self-hosted runners behind a proxy: the action reaches the simulator through a real local HTTP
 * CONNECT proxy, as chosen by HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case).
 *
 * undici's ProxyAgent tunnels with CONNECT for http targets too; HTTP_PROXY is for http targets and
 * HTTPS_PROXY (else HTTP_PROXY) for https ones, and there is no loopback exception: the simulator
 * on 127.0.0.1 is proxied unless NO_PROXY lists it.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/main.js';
import { RetabClient } from '../src/retab/client.js';
import { transportFor } from '../src/retab/transport.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { startConnectProxy } from './support/connect-proxy.js';
import { recordingIO } from './support/recording-io.js';
import { ROOT, runAction } from './support/run-action.js';
import { simulatorInputs } from './support/simulator-inputs.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type Proxy = Awaited<ReturnType<typeof startConnectProxy>>;

const RUN = 'exprun_proxied';
let sim: Simulator;
let proxy: Proxy;
beforeEach(async () => {
  sim = await startSimulator({ runs: [{ id: RUN, runningMs: 300, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
  proxy = await startConnectProxy();
});
afterEach(async () => {
  await proxy.close();
  await sim.close();
});

async function gate(env: Record<string, string>, inputs: Record<string, string> = {}) {
  const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: RUN, ...inputs }));
  await run({ io, env, backoff: { baseMs: 50, capMs: 200 } });
  return recording;
}

const simTarget = () => `127.0.0.1:${sim.port}`;

describe('proxy variables', () => {
  it.each(['HTTP_PROXY', 'http_proxy'])('%s: every request goes through the proxy', async (name) => {
    const result = await gate({ [name]: proxy.url });
    expect(result.outputs.status).toBe('completed');
    expect(result.outputs.passed).toBe('true');
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
    expect(proxy.connects.every((c) => c.target === simTarget())).toBe(true);
    expect(sim.runReads(RUN).length).toBeGreaterThanOrEqual(2);
    // The key travels inside the tunnel, never in the CONNECT request the proxy reads.
    for (const { headers } of proxy.connects) {
      expect(JSON.stringify(headers)).not.toContain(sim.apiKey);
    }
  });

  it('the lower-case variable wins over the upper-case one', async () => {
    const result = await gate({ http_proxy: proxy.url, HTTP_PROXY: 'http://127.0.0.1:1' });
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
  });

  it('HTTPS_PROXY alone is for https targets: the http simulator is reached directly', async () => {
    const result = await gate({ HTTPS_PROXY: proxy.url });
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects).toHaveLength(0);
  });

  it.each(['127.0.0.1', '127.0.0.1:PORT', 'api.retab.com,127.0.0.1', '*'])('NO_PROXY=%s reaches the simulator directly', async (entry) => {
    const result = await gate({ HTTP_PROXY: proxy.url, NO_PROXY: entry.replace('PORT', String(sim.port)) });
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects).toHaveLength(0);
    expect(sim.runReads(RUN).length).toBeGreaterThanOrEqual(2);
  });

  it('NO_PROXY for another port, or another host, still proxies', async () => {
    const result = await gate({ HTTP_PROXY: proxy.url, no_proxy: `127.0.0.1:${sim.port + 1},api.retab.com` });
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
  });

  it('a proxy that is down is a connection error, retried until the timeout', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await gate({ HTTP_PROXY: `http://127.0.0.1:${port}` }, { timeout: '1s' });
    expect(result.outputs.status).toBe('timed_out');
    expect(result.info.filter((line) => line.startsWith('Attempt ')).length).toBeGreaterThanOrEqual(2);
    expect(result.failed).toContain('Could not reach Retab');
    expect(sim.requests).toHaveLength(0);
  });
});

describe('proxy exceptions as curl reads them', () => {
  /** The gate against a simulator on the IPv6 loopback, `http://[::1]:port`, with the environment `env` gives for its port. */
  async function gateOnIpv6(env: (port: number) => Record<string, string>) {
    const sim6 = await startSimulator({ host: '::1', runs: [{ id: RUN, runningMs: 300, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
    try {
      const { io, recording } = recordingIO(simulatorInputs(sim6, { run_id: RUN }));
      await run({ io, env: { HTTP_PROXY: proxy.url, ...env(sim6.port) }, backoff: { baseMs: 50, capMs: 200 } });
      return { recording, reads: sim6.runReads(RUN).length, target: `[::1]:${sim6.port}` };
    } finally {
      await sim6.close();
    }
  }

  it.each(['::1', '[::1]', '[::1]:PORT'])('NO_PROXY=%s reaches a server on [::1] directly', async (entry) => {
    const { recording, reads } = await gateOnIpv6((port) => ({ NO_PROXY: entry.replace('PORT', String(port)) }));
    expect(recording.outputs.status).toBe('completed');
    expect(proxy.connects).toHaveLength(0);
    expect(reads).toBeGreaterThanOrEqual(2);
  });

  it('NO_PROXY=::2 or [::1] on another port: the request to [::1] goes through the proxy', async () => {
    for (const entry of ['::2', '[::1]:1']) {
      const before = proxy.connects.length;
      const { recording, target } = await gateOnIpv6(() => ({ NO_PROXY: entry }));
      expect(recording.outputs.status).toBe('completed');
      expect(proxy.connects.length).toBeGreaterThan(before);
      expect(proxy.connects.slice(before).every((c) => c.target === target)).toBe(true);
    }
  });

  it('an empty no_proxy beside a set NO_PROXY counts as unset: NO_PROXY applies', async () => {
    const result = await gate({ HTTP_PROXY: proxy.url, no_proxy: '', NO_PROXY: '127.0.0.1' });
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects).toHaveLength(0);
  });

  it('NO_PROXY=127.0.0.0/8, a range, reaches the simulator directly', async () => {
    const result = await gate({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.0/8' });
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects).toHaveLength(0);
  });
});

describe('connections through the proxy', () => {
  it('every POST gets a tunnel of its own, never a kept-alive one, as without a proxy', async () => {
    // On a kept-alive connection the server may be closing just as the POST goes out, which would
    // leave unknown whether it started a run.
    const client = new RetabClient({ baseUrl: new URL(sim.url), apiKey: sim.apiKey, transport: transportFor(new URL(sim.url), { HTTP_PROXY: proxy.url }) });
    try {
      await client.getRun(RUN);
      await client.getRun(RUN);
      const before = proxy.connects.length;
      for (let i = 1; i <= 3; i++) {
        await client.startRun('exp_pass', null);
        expect(proxy.connects).toHaveLength(before + i);
      }
    } finally {
      await client.close();
    }
  });
});

describe('a proxy that refuses the tunnel fails at once, naming the proxy', () => {
  it.each([403, 407])('CONNECT answered %i: one attempt, no retry, the proxy named without its credentials', async (status) => {
    const refusing = await startConnectProxy({ refuse: status });
    try {
      const withCredentials = refusing.url.replace('http://', 'http://proxyuser:pr0xy-s3cret@');
      const started = Date.now();
      const result = await gate({ HTTP_PROXY: withCredentials }, { timeout: '20s' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.outputs.status).toBe('api_error');
      expect(refusing.connects).toHaveLength(1);
      expect(result.info.filter((line) => line.startsWith('Attempt '))).toEqual([]);
      expect(result.failed).toContain(`The proxy ${refusing.url} refused to connect to Retab`);
      expect(result.failed).toContain(`HTTP ${status}`);
      expect(result.log()).not.toContain('pr0xy-s3cret');
      expect(result.summary).not.toContain('pr0xy-s3cret');
      expect(sim.requests).toHaveLength(0);
    } finally {
      await refusing.close();
    }
  });

  it("a proxy's own 502 (it could not reach Retab) is retried until the timeout, naming the proxy", async () => {
    const failing = await startConnectProxy({ refuse: 502 });
    try {
      const result = await gate({ HTTP_PROXY: failing.url }, { timeout: '1s' });
      expect(result.outputs.status).toBe('timed_out');
      expect(failing.connects.length).toBeGreaterThanOrEqual(2);
      expect(result.failed).toContain(`The proxy ${failing.url} could not connect to Retab`);
    } finally {
      await failing.close();
    }
  });

  it.each([103, 204])('CONNECT answered %i, which opens no tunnel and refuses nothing: retried with backoff until the timeout, nothing sent', async (status) => {
    const odd = await startConnectProxy({ refuse: status });
    try {
      const result = await gate({ HTTP_PROXY: odd.url }, { timeout: '1s' });
      expect(result.outputs.status).toBe('timed_out');
      expect(result.failed).toContain(`(PROXY_TUNNEL_FAILED: the proxy did not open the tunnel (it answered HTTP ${status}))`);
      expect(odd.connects.length).toBeGreaterThanOrEqual(2);
      expect(odd.connects.length).toBeLessThan(30);
      expect(sim.requests).toHaveLength(0);
    } finally {
      await odd.close();
    }
  });

  it('an https proxy whose certificate is not trusted fails at once, with the certificate advice, nothing sent', async () => {
    const fixture = (name: string) => readFile(join(ROOT, 'test', 'fixtures', 'tls', name), 'utf8');
    const untrusted = await startConnectProxy({ tls: { key: await fixture('localhost.key.pem'), cert: await fixture('localhost.cert.pem') } });
    try {
      const started = Date.now();
      const result = await gate({ HTTP_PROXY: untrusted.url }, { timeout: '20s' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.outputs.status).toBe('api_error');
      expect(result.failed).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
      expect(result.failed).toContain('NODE_EXTRA_CA_CERTS');
      expect(result.info.filter((line) => line.startsWith('Attempt '))).toEqual([]);
      expect(untrusted.connects).toHaveLength(0);
      expect(sim.requests).toHaveLength(0);
    } finally {
      await untrusted.close();
    }
  });

  it('starting a run: refused once, never sent again', async () => {
    const refusing = await startConnectProxy({ refuse: 403 });
    try {
      const { io, recording } = recordingIO(simulatorInputs(sim, { experiment_id: 'exp_pass', timeout: '20s' }));
      const started = Date.now();
      await run({ io, env: { HTTP_PROXY: refusing.url }, backoff: { baseMs: 50, capMs: 200 } });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(recording.outputs.passed).toBe('false');
      // At most the runs list read before the POST, and the POST once.
      expect(refusing.connects.length).toBeLessThanOrEqual(2);
      expect(recording.failed).toContain(`The proxy ${refusing.url} refused to connect to Retab at ${sim.url} for POST`);
      expect(sim.requests).toHaveLength(0);
    } finally {
      await refusing.close();
    }
  });
});

describe('a proxy that breaks the CONNECT never hangs the gate nor makes it hammer the proxy', () => {
  it('a proxy that drops every CONNECT unanswered: each attempt fails, with backoff, until the timeout', async () => {
    const dropping = await startConnectProxy({ misbehave: 'drop' });
    try {
      const started = Date.now();
      const result = await gate({ HTTP_PROXY: dropping.url }, { timeout: '2s' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.outputs.status).toBe('timed_out');
      expect(result.summary).toContain('failed (timed out)');
      expect(result.failed).toContain('(PROXY_TUNNEL_FAILED: the proxy did not open the tunnel (UND_ERR_SOCKET))');
      // A retry per backoff, not a new CONNECT the moment the last one was dropped.
      expect(dropping.connects.length).toBeGreaterThanOrEqual(2);
      expect(dropping.connects.length).toBeLessThan(30);
      expect(sim.requests).toHaveLength(0);
    } finally {
      await dropping.close();
    }
  });

  it('starting a run through a proxy that drops the POST\'s CONNECT: nothing reached Retab, so the start is sent again: one POST, one run', async () => {
    // CONNECT 0 carries the runs list read before the POST (and stays open for the GETs); 1 is the POST's own.
    const dropping = await startConnectProxy({ misbehave: 'drop', dropOnly: [1] });
    try {
      const { io, recording } = recordingIO(simulatorInputs(sim, { experiment_id: 'exp_pass', timeout: '30s' }));
      const started = Date.now();
      await run({ io, env: { HTTP_PROXY: dropping.url }, backoff: { baseMs: 50, capMs: 200 } });
      expect(recording.outputs).toMatchObject({ status: 'completed', passed: 'true' });
      expect(sim.requests.filter((r) => r.method === 'POST' && r.path === '/v1/workflows/experiments/runs')).toHaveLength(1);
      expect(recording.info.some((line) => line.includes('PROXY_TUNNEL_FAILED'))).toBe(true);
      // Sent again after a backoff, without the 20 s look for a run an uncertain answer may have started.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await dropping.close();
    }
  });

  it('a proxy that never answers the CONNECT: the job\'s cancellation ends the gate at once', async () => {
    const silent = await startConnectProxy({ misbehave: 'silent' });
    const cancel = new AbortController();
    try {
      const timer = setInterval(() => {
        if (silent.connects.length > 0) cancel.abort(new Error('received SIGTERM'));
      }, 20);
      const { io, recording } = recordingIO(simulatorInputs(sim, { run_id: RUN, timeout: '10m' }));
      const started = Date.now();
      await run({ io, env: { HTTP_PROXY: silent.url }, signal: cancel.signal }).finally(() => clearInterval(timer));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(recording.outputs.status).toBe('interrupted');
      expect(recording.summary).toContain('interrupted');
    } finally {
      await silent.close();
    }
  });
});

describe('the built action behind a proxy', () => {
  it('reaches the simulator through HTTP_PROXY from the environment', async () => {
    const result = await runAction({
      inputs: { run_id: RUN, threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, timeout: '20s', poll_interval: '200ms' },
      env: { HTTP_PROXY: proxy.url },
    });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.status).toBe('completed');
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
    expect(proxy.connects.every((c) => c.target === simTarget())).toBe(true);
    expect(sim.runReads(RUN).length).toBeGreaterThanOrEqual(2);
  });
});
