/**
 * Retab is reached over HTTPS: the built action against the simulator serving TLS with a
 * self-signed certificate for 127.0.0.1 (test/fixtures/tls, valid until 2126), directly and through
 * a CONNECT proxy. The certificate is trusted the way a runner behind a TLS-inspecting proxy does
 * it, with NODE_EXTRA_CA_CERTS; without it the certificate is refused, once, with that advice.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator/retab-simulator.js';
import { startConnectProxy } from './support/connect-proxy.js';
import { ROOT, runAction } from './support/run-action.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const RUN = 'exprun_tls';
const CERT = join(ROOT, 'test', 'fixtures', 'tls', 'localhost.cert.pem');
let sim: Simulator;
beforeEach(async () => {
  const tls = { key: await readFile(join(ROOT, 'test', 'fixtures', 'tls', 'localhost.key.pem'), 'utf8'), cert: await readFile(CERT, 'utf8') };
  sim = await startSimulator({ tls, runs: [{ id: RUN, runningMs: 300, total: 4, final: { status: 'completed', score: 0.9, error_count: 0 } }] });
});
afterEach(async () => {
  await sim.close();
});

const inputs = () => ({ run_id: RUN, threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, timeout: '20s', poll_interval: '200ms' });

describe('the built action over HTTPS', () => {
  it('reads the run and its report from an https base_url, on kept-alive connections', async () => {
    expect(sim.url).toMatch(/^https:/);
    const result = await runAction({ inputs: inputs(), env: { NODE_EXTRA_CA_CERTS: CERT } });
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'completed', passed: 'true', score: '0.9' });
    expect(result.summary).toContain('| vendor.name | 0.7645 |');
    // Every read of the run and of the report, over far fewer TLS connections than requests.
    expect(sim.runReads(RUN).length).toBeGreaterThanOrEqual(2);
    expect(sim.connections().accepted).toBeLessThan(sim.requests.length / 2);
  });

  it('refuses a certificate it cannot verify at once, says what to do, and never sends the key', async () => {
    const started = Date.now();
    const result = await runAction({ inputs: inputs() });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('api_error');
    expect(result.stdout).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
    expect(result.stdout).toContain('NODE_EXTRA_CA_CERTS');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sim.requests).toHaveLength(0);
  });

  it('reaches an https base_url through HTTPS_PROXY, TLS inside the tunnel', async () => {
    const proxy = await startConnectProxy();
    try {
      const result = await runAction({ inputs: inputs(), env: { NODE_EXTRA_CA_CERTS: CERT, HTTPS_PROXY: proxy.url } });
      expect(result.exitCode).toBe(0);
      expect(result.outputs.status).toBe('completed');
      expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
      expect(proxy.connects.every((c) => c.target === `127.0.0.1:${sim.port}`)).toBe(true);
      for (const { headers } of proxy.connects) expect(JSON.stringify(headers)).not.toContain(sim.apiKey);
    } finally {
      await proxy.close();
    }
  });
});
