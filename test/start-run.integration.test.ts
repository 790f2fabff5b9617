import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelStartedRun } from '../src/cancel-run.js';
import { RetabClient } from '../src/retab/client.js';
import { startRun, type StartRunOptions } from '../src/start-run.js';
import { startSimulator } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
const START_PATH = /^\/v1\/workflows\/experiments\/runs$/;

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

function options(client: RetabClient, experimentId: string, overrides: Partial<StartRunOptions> = {}): StartRunOptions {
  return {
    experimentId,
    workflowId: null,
    createRun: (signal) => client.startRun(experimentId, null, signal),
    listRuns: (signal) => client.listRecentRuns(experimentId, 100, signal),
    deadline: Date.now() + 15_000,
    signal: new AbortController().signal,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: () => 0.5,
    settleMs: 50,
    lookEveryMs: 150,
    lookWindowMs: 1_500,
    backoff: { baseMs: 50, capMs: 200 },
    ...overrides,
  };
}

const posts = (s: Simulator) => s.requests.filter((r) => r.method === 'POST' && START_PATH.test(r.path));

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

describe('never two runs, never someone else’s, against the simulator', () => {
  const otherExperimentRun = (data: Array<Record<string, unknown>>) =>
    data.flatMap((run) => [run, { ...run, id: `${String(run.id)}_elsewhere`, experiment_id: 'exp_other' }, { ...run }]);

  it('after an uncertain answer, never adopts a run another job started just before the POST (listed or listed late)', async () => {
    for (const lagMs of [0, 700]) {
      const simulator = await startSimulator({ listLagMs: lagMs });
      sim = simulator;
      const other = simulator.startOtherRun('exp_pass', { trigger: 'api' });
      simulator.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
      const outcome = await startRun(options(clientFor(simulator.url), 'exp_pass'));
      expect(outcome, `list lag ${lagMs} ms`).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
      expect(simulator.otherRuns('exp_pass')).toEqual([{ id: other, cancelled: false }]);
      expect(posts(simulator)).toHaveLength(1);
      await simulator.close();
      sim = null;
    }
  });

  it('when the list shows the new run late, keeps looking and adopts it: one POST, one run', async () => {
    sim = await startSimulator({ listLagMs: 900 });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 503, body: '{"detail":"Service unavailable"}' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1 });
    expect(sim.startedRuns('exp_pass')).toEqual([{ id: outcome.kind === 'started' ? outcome.run.id : '', cancelled: false }]);
    expect(posts(sim)).toHaveLength(1);
  });

  it('when the list lags longer than the window, fails naming the experiment, with one POST', async () => {
    sim = await startSimulator({ listLagMs: 5_000 });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const startedAt = Date.now();
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('Check the runs of experiment exp_pass in Retab');
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    expect(posts(sim)).toHaveLength(1);
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
  });

  it('when another job starts a run at the same moment as ours, fails rather than guess, and cancels neither', async () => {
    sim = await startSimulator({ listLagMs: 300 });
    const simulator = sim;
    simulator.onStartRequest(() => void simulator.startOtherRun('exp_pass'));
    simulator.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const outcome = await startRun(options(clientFor(simulator.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'several_new' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toMatch(/2 new runs of it appeared \(exprun_other_1, exprun_started_1\)/);
    expect(simulator.cancelRequests()).toHaveLength(0);
    expect(posts(simulator)).toHaveLength(1);
  });

  it('two jobs starting the same experiment at once: the one with a clean answer gates its run, the uncertain one fails, nobody cancels', async () => {
    sim = await startSimulator({ listLagMs: 200 });
    // The second POST to arrive loses its answer after Retab started its run.
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const [first, second] = await Promise.all([startRun(options(clientFor(sim.url), 'exp_pass')), startRun(options(clientFor(sim.url), 'exp_pass'))]);
    const outcomes = [first, second].sort((a, b) => a.kind.localeCompare(b.kind));
    expect(outcomes).toMatchObject([{ kind: 'failed', error: { reason: 'several_new' } }, { kind: 'started', adopted: false }]);
    expect(sim.startedRuns('exp_pass')).toHaveLength(2);
    expect(sim.cancelRequests()).toHaveLength(0);

    // Both answers lost: neither can tell which run is its own, so neither gates one.
    await sim.close();
    sim = await startSimulator({ listLagMs: 200 });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'close', times: 2 });
    const both = await Promise.all([startRun(options(clientFor(sim.url), 'exp_pass')), startRun(options(clientFor(sim.url), 'exp_pass'))]);
    expect(both).toMatchObject([{ kind: 'failed', error: { reason: 'several_new' } }, { kind: 'failed', error: { reason: 'several_new' } }]);
    expect(posts(sim)).toHaveLength(2);
  });

  it('never gates another job’s run that a confused POST answer names; finds its own', async () => {
    sim = await startSimulator();
    const other = sim.startOtherRun('exp_pass');
    const otherBody = JSON.stringify({ id: other, lifecycle: { status: 'queued' }, experiment_id: 'exp_pass', trigger: { type: 'manual_run' } });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 202, body: otherBody });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, run: { id: sim.startedRuns('exp_pass')[0]?.id } });
    expect(posts(sim)).toHaveLength(1);
  });

  it('reads a hostile list (runs of other experiments, duplicate ids) without being misled', async () => {
    sim = await startSimulator();
    sim.startOtherRun('exp_pass');
    sim.transformList(otherExperimentRun);
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'close' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, run: { id: sim.startedRuns('exp_pass')[0]?.id } });
  });

  it('without a Date header (Retab’s clock unknown), never adopts a lagging run another job started before; it fails instead', async () => {
    sim = await startSimulator({ listLagMs: 700, dateHeader: false });
    const other = sim.startOtherRun('exp_pass', { trigger: 'api' });
    sim.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'no_baseline' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('no usable Date header');
    expect(sim.otherRuns('exp_pass')).toEqual([{ id: other, cancelled: false }]);
    expect(posts(sim)).toHaveLength(1);
  });

  it('when the list errors before the POST, starts anyway; when it also cannot settle an uncertain answer, fails', async () => {
    sim = await startSimulator();
    sim.fault({ method: 'GET', path: '/v1/workflows/experiments/runs?', status: 500, body: 'oops', times: Infinity });
    const warnings: string[] = [];
    const clean = await startRun({ ...options(clientFor(sim.url), 'exp_pass'), onWarning: (line) => void warnings.push(line) });
    expect(clean).toMatchObject({ kind: 'started', adopted: false });
    expect(warnings.join('\n')).toContain('Could not list the runs of experiment exp_pass before starting one');

    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const uncertain = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(uncertain).toMatchObject({ kind: 'failed', error: { reason: 'no_baseline' } });
    expect(sim.startedRuns('exp_pass')).toHaveLength(2);
    expect(posts(sim)).toHaveLength(2);
  });
});

describe('cancelStartedRun against the simulator', () => {
  it('cancels a running run, and is told 404 for a completed one', async () => {
    sim = await startSimulator();
    const client = clientFor(sim.url);
    const started = await client.startRun('exp_forever', null);
    const cancel = (runId: string) => cancelStartedRun({ runId, reason: 'timed_out', enabled: true, cancelRun: (id, signal) => client.cancelRun(id, signal) });
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
    const outcome = await cancelStartedRun({ runId: 'exprun_forever', reason: 'interrupted', enabled: true, timeoutMs: 300, cancelRun: (id, signal) => client.cancelRun(id, signal) });
    expect(outcome).toMatchObject({ kind: 'failed', detail: 'no answer within 300 ms' });
  });

  it('sends nothing when disabled', async () => {
    sim = await startSimulator();
    const client = clientFor(sim.url);
    const outcome = await cancelStartedRun({ runId: 'exprun_forever', reason: 'interrupted', enabled: false, cancelRun: (id, signal) => client.cancelRun(id, signal) });
    expect(outcome.kind).toBe('disabled');
    expect(sim.requests).toHaveLength(0);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
