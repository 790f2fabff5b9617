/**
 * Attacks on starting a run, against the simulator: other jobs starting runs of the same
 * experiment, a runs list that lags, errors or lies. Each test has its own simulator, so they run
 * concurrently (each start waits a second before its POST and looks for a while after an
 * uncertain answer).
 */
import { describe, expect, it } from 'vitest';
import { RetabClient } from '../src/retab/client.js';
import { startRun, type StartRunOptions } from '../src/start/start-run.js';
import { startSimulator } from './simulator/retab-simulator.js';
import { START_PATH, startOptions, startPosts } from './support/start-options.js';


/** A simulator and a client factory, both closed when the test finishes. */
async function scenario(onTestFinished: (fn: () => Promise<void>) => void, simulatorOptions: Parameters<typeof startSimulator>[0] = {}) {
  const sim = await startSimulator(simulatorOptions);
  const clients: RetabClient[] = [];
  onTestFinished(async () => {
    for (const client of clients) await client.close();
    await sim.close();
  });
  const clientFor = (url: string) => {
    const client = new RetabClient({ baseUrl: new URL(url), apiKey: 'rt_test_simulator_key', requestTimeoutMs: 5_000 });
    clients.push(client);
    return client;
  };
  return { sim, clientFor };
}

const options = (client: RetabClient, experimentId: string, overrides: Partial<StartRunOptions> = {}) => startOptions(client, experimentId, { lookWindowMs: 1_500, ...overrides });
const posts = startPosts;

describe.concurrent('never two runs, never someone else’s, against the simulator', () => {
  const otherExperimentRun = (data: Array<Record<string, unknown>>) =>
    data.flatMap((run) => [run, { ...run, id: `${String(run.id)}_elsewhere`, experiment_id: 'exp_other' }, { ...run }]);

  it('after an uncertain answer, never adopts a run another job started just before the POST (listed or listed late)', async ({ onTestFinished }) => {
    for (const lagMs of [0, 700]) {
      const { sim: simulator, clientFor } = await scenario(onTestFinished, { listLagMs: lagMs });
      const other = simulator.startOtherRun('exp_pass', { trigger: 'api' });
      simulator.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
      const outcome = await startRun(options(clientFor(simulator.url), 'exp_pass'));
      expect(outcome, `list lag ${lagMs} ms`).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
      expect(simulator.otherRuns('exp_pass')).toEqual([{ id: other, cancelled: false }]);
      expect(posts(simulator)).toHaveLength(1);
    }
  });

  it('when the list shows the new run late, keeps looking and adopts it: one POST, one run', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished, { listLagMs: 900 });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 503, body: '{"detail":"Service unavailable"}' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, attempts: 1 });
    expect(sim.startedRuns('exp_pass')).toEqual([{ id: outcome.kind === 'started' ? outcome.run.id : '', cancelled: false }]);
    expect(posts(sim)).toHaveLength(1);
  });

  it('when the list lags longer than the window, fails naming the experiment, with one POST', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished, { listLagMs: 5_000 });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const startedAt = Date.now();
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'not_listed' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('Check the runs of experiment exp_pass in Retab');
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    expect(posts(sim)).toHaveLength(1);
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
  });

  it('when another job starts a run at the same moment as ours, fails rather than guess, and cancels neither', async ({ onTestFinished }) => {
    const { sim: simulator, clientFor } = await scenario(onTestFinished, { listLagMs: 300 });
    simulator.onStartRequest(() => void simulator.startOtherRun('exp_pass'));
    simulator.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const outcome = await startRun(options(clientFor(simulator.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'several_new' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toMatch(/2 new runs of it appeared \(exprun_other_1, exprun_started_1\)/);
    expect(simulator.cancelRequests()).toHaveLength(0);
    expect(posts(simulator)).toHaveLength(1);
  });

  it('two jobs starting the same experiment at once: the one with a clean answer gates its run, the uncertain one fails, nobody cancels', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished, { listLagMs: 200 });
    // The second POST to arrive loses its answer after Retab started its run.
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const [first, second] = await Promise.all([startRun(options(clientFor(sim.url), 'exp_pass')), startRun(options(clientFor(sim.url), 'exp_pass'))]);
    const outcomes = [first, second].sort((a, b) => a.kind.localeCompare(b.kind));
    expect(outcomes).toMatchObject([{ kind: 'failed', error: { reason: 'several_new' } }, { kind: 'started', adopted: false }]);
    expect(sim.startedRuns('exp_pass')).toHaveLength(2);
    expect(sim.cancelRequests()).toHaveLength(0);

    // Both answers lost: neither can tell which run is its own, so neither gates one.
    const lost = await scenario(onTestFinished, { listLagMs: 200 });
    lost.sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'close', times: 2 });
    const both = await Promise.all([startRun(options(lost.clientFor(lost.sim.url), 'exp_pass')), startRun(options(lost.clientFor(lost.sim.url), 'exp_pass'))]);
    expect(both).toMatchObject([{ kind: 'failed', error: { reason: 'several_new' } }, { kind: 'failed', error: { reason: 'several_new' } }]);
    expect(posts(lost.sim)).toHaveLength(2);
  });

  it('never gates another job’s run that a confused POST answer names; finds its own', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished);
    const other = sim.startOtherRun('exp_pass');
    const otherBody = JSON.stringify({ id: other, lifecycle: { status: 'queued' }, experiment_id: 'exp_pass', trigger: { type: 'manual_run' } });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 202, body: otherBody });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, run: { id: sim.startedRuns('exp_pass')[0]?.id } });
    expect(posts(sim)).toHaveLength(1);
  });

  it('reads a hostile list (runs of other experiments, duplicate ids) without being misled', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished);
    sim.startOtherRun('exp_pass');
    sim.transformList(otherExperimentRun);
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'close' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'started', adopted: true, run: { id: sim.startedRuns('exp_pass')[0]?.id } });
  });

  it('without a Date header (Retab’s clock unknown), never adopts a lagging run another job started before; it fails instead', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished, { listLagMs: 700, dateHeader: false });
    const other = sim.startOtherRun('exp_pass', { trigger: 'api' });
    sim.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
    const outcome = await startRun(options(clientFor(sim.url), 'exp_pass'));
    expect(outcome).toMatchObject({ kind: 'failed', error: { reason: 'no_baseline' } });
    expect(outcome.kind === 'failed' && outcome.error.message).toContain('no usable Date header');
    expect(sim.otherRuns('exp_pass')).toEqual([{ id: other, cancelled: false }]);
    expect(posts(sim)).toHaveLength(1);
  });

  it('when the list errors before the POST, starts anyway; when it also cannot settle an uncertain answer, fails', async ({ onTestFinished }) => {
    const { sim, clientFor } = await scenario(onTestFinished);
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

