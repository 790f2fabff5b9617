import { afterEach, describe, expect, it } from 'vitest';
import { cancelStartedRun } from '../src/start/cancel-run.js';
import { realTiming } from './support/real-timing.js';
import { RetabClient } from '../src/retab/client.js';
import { startRun } from '../src/start/start-run.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { START_PATH, startOptions, startPosts } from './support/start-options.js';
import { freePort } from './support/free-port.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let sim: Simulator | null = null;
const clients: RetabClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await sim?.close();
  sim = null;
});

function clientFor(url: string, requestTimeoutMs = 5_000): RetabClient {
  const client = new RetabClient({ baseUrl: new URL(url), apiKey: 'rt_test_simulator_key', requestTimeoutMs });
  clients.push(client);
  return client;
}

const options = startOptions;
const posts = startPosts;

describe('startRun against the simulator', () => {
  it('starts one run, sending the experiment and workflow ids', async () => {
    sim = await startSimulator();
    const client = clientFor(sim.url);
    const outcome = await startRun({ ...options(client, 'exp_pass'), createRun: (signal) => client.startRun('exp_pass', 'wf_abc123', signal) });
    expect(outcome).toMatchObject({ kind: 'started', adopted: false, run: { status: 'queued', experiment_id: 'exp_pass' } });
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
    expect(JSON.parse(posts(sim)[0]?.body ?? '')).toEqual({ experiment_id: 'exp_pass', workflow_id: 'wf_abc123' });
  });

  it.each([
    ['the connection is reset', { afterHandling: 'reset' as const }],
    ['the connection is closed', { afterHandling: 'close' as const }],
    ['a gateway answers 502', { afterHandling: 502, body: '<html>Bad gateway</html>' }],
    ['Retab answers 503', { afterHandling: 503, body: '{"detail":"Service unavailable"}' }],
  ])('results in exactly one run when the POST reached Retab but %s (the run says manual_run)', async (_name, fault) => {
    sim = await startSimulator();
    sim.fault({ method: 'POST', path: START_PATH, ...fault });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1, run: { trigger: 'manual_run' } });
    const started = sim.startedRuns('exp_pass');
    expect(started).toHaveLength(1);
    expect(outcome.kind === 'started' && outcome.run.id).toBe(started[0]?.id);
    expect(posts(sim)).toHaveLength(1);
  });

  it('results in exactly one run when the POST reached Retab but the answer never came (request timeout)', async () => {
    sim = await startSimulator();
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'hang' });
    const outcome = await startRun(options(clientFor(sim.url, 300), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true });
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
  });

  it('after a 502 that started nothing, looks for the window and fails; it never sends the POST again', async () => {
    sim = await startSimulator();
    sim.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    // A 502 is uncertain: whether a run was started cannot be known from the answer.
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1, error: { reason: 'not_listed' } });
    expect(sim.startedRuns('exp_pass')).toHaveLength(0);
    const calls = sim.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(calls.slice(0, 2)).toEqual(['GET /v1/workflows/experiments/runs', 'POST /v1/workflows/experiments/runs']);
    expect(calls.slice(2).every((call) => call === 'GET /v1/workflows/experiments/runs')).toBe(true);
    expect(sim.requests.find((r) => r.method === 'GET')?.path).toContain('limit=100');
  });

  it('retries a refused connection without looking, and starts one run once Retab is up', async () => {
    const port = await freePort();
    let retries = 0;
    let starting: Promise<Simulator> | null = null;
    const client = clientFor(`http://127.0.0.1:${port}`);
    const outcome = await startRun({
      ...options(client, 'exp_pass'),
      onRetry: () => {
        retries += 1;
        starting ??= startSimulator({ port });
      },
    });
    sim = await (starting as Promise<Simulator> | null);
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(outcome).toMatchObject({ kind: 'started', adopted: false });
    expect(sim?.startedRuns('exp_pass')).toHaveLength(1);
    expect(sim?.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('fails without retrying when the experiment does not exist', async () => {
    sim = await startSimulator();
    const outcome = await startRun(options(clientFor(sim.url), 'exp_missing'));
    expect(outcome.kind).toBe('failed');
    if (outcome.kind === 'failed') expect(outcome.error.message).toMatch(/HTTP 404.*exp_missing/);
    // The baseline list, then the refused POST.
    expect(sim.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });
});

describe('cancelStartedRun against the simulator', () => {
  it('cancels a running run, and is told 404 for a completed one', async () => {
    sim = await startSimulator();
    const client = clientFor(sim.url);
    const started = await client.startRun('exp_forever', null);
    const cancel = (runId: string) => cancelStartedRun({ runId, reason: 'timed_out', enabled: true, cancelRun: (id, signal) => client.cancelRun(id, signal), ...realTiming });
    expect(await cancel(started.id)).toMatchObject({ kind: 'cancelled', status: 'cancelled' });
    expect(await client.getRun(started.id)).toMatchObject({ status: 'cancelled', reason: 'Cancelled via the API' });
    // Idempotent on a cancelled run.
    expect(await cancel(started.id)).toMatchObject({ kind: 'cancelled' });
    sim.addRun({ id: 'exprun_done', final: { status: 'completed', score: 0.9 } });
    expect(await cancel('exprun_done')).toMatchObject({ kind: 'not_cancellable' });
    expect(await cancel('exprun_missing')).toMatchObject({ kind: 'not_cancellable' });
    expect(await client.getRun('exprun_done')).toMatchObject({ status: 'completed' });
  });

  it('gives up within its own time limit when Retab does not answer', async () => {
    sim = await startSimulator();
    sim.fault({ method: 'POST', path: /\/cancel$/, action: 'hang' });
    const client = clientFor(sim.url);
    const outcome = await cancelStartedRun({ runId: 'exprun_forever', reason: 'interrupted', enabled: true, timeoutMs: 300, cancelRun: (id, signal) => client.cancelRun(id, signal), ...realTiming });
    expect(outcome).toMatchObject({ kind: 'failed', detail: 'no answer within 300 ms' });
  });

  it('sends nothing when disabled', async () => {
    sim = await startSimulator();
    const client = clientFor(sim.url);
    const outcome = await cancelStartedRun({ runId: 'exprun_forever', reason: 'interrupted', enabled: false, cancelRun: (id, signal) => client.cancelRun(id, signal), ...realTiming });
    expect(outcome.kind).toBe('disabled');
    expect(sim.requests).toHaveLength(0);
  });
});

