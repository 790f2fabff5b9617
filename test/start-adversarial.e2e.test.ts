/**
 * The built action (dist/index.js) starting runs while other jobs start runs of the same
 * experiment and the runs list lags. Each test has its own simulator, so they run concurrently
 * (an uncertain answer makes the action look at the runs list for 20 s). Run `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { runAction } from './support/run-action.js';
import { renderRun, startSimulator, type RunSpec } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
const START_PATH = /^\/v1\/workflows\/experiments\/runs$/;

async function simulator(onTestFinished: (fn: () => Promise<void>) => void, options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const sim = await startSimulator(options);
  onTestFinished(() => sim.close());
  return sim;
}

function action(sim: Simulator, inputs: Record<string, string>) {
  return runAction({ inputs: { threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, poll_interval: '200ms', ...inputs }, env: {} });
}

describe.concurrent('experiment_id: never two runs, never someone else’s', () => {
  it('starts exactly one run when the POST reaches Retab but the connection breaks, and the list shows it late marked manual_run', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished, { listLagMs: 3_000 });
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 'reset' });
    const result = await action(sim, { experiment_id: 'exp_pass', timeout: '2m' });
    const started = sim.startedRuns('exp_pass');
    expect(started).toHaveLength(1);
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', run_id: started[0]?.id });
    expect(JSON.parse(result.outputs.run ?? '{}')).toMatchObject({ trigger: 'manual_run' });
    expect(result.stdout).toContain('the one new run among the experiment runs');
    expect(sim.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  }, 60_000);

  it('is never green on a run another job started just before its POST: it fails, naming the experiment, and cancels nothing', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished);
    // Another pull request started a run of the same experiment a moment ago; this job's POST
    // then meets a gateway error before reaching Retab, so it started nothing.
    const other = sim.startOtherRun('exp_pass', { trigger: 'api' });
    sim.fault({ method: 'POST', path: START_PATH, status: 502, body: 'Bad gateway' });
    const result = await action(sim, { experiment_id: 'exp_pass', timeout: '2m' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'api_error', run_id: '' });
    expect(result.stdout).toMatch(/::error::Retab's answer to starting a run of experiment exp_pass was uncertain \(.*HTTP 502.*\), and no new run of it was listed within 2\d s; the action did not send the request again/);
    expect(result.summary).toContain('Check the runs of experiment exp\\_pass in Retab');
    expect(sim.otherRuns('exp_pass')).toEqual([{ id: other, cancelled: false }]);
    expect(sim.startedRuns('exp_pass')).toEqual([]);
    expect(sim.runReads(other)).toEqual([]);
    expect(sim.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  }, 60_000);

  it('a start answer naming a run created before its runs list (by Retab’s clock) is not taken for this job’s: it is an uncertain start', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished);
    // Another job's run, created 10 s ago, that the list does not show yet (it lags).
    const ghost: RunSpec = { id: 'exprun_ghost', experimentId: 'exp_pass', createdAt: new Date(Date.now() - 10_000).toISOString(), listedFrom: Date.now() + 3_600_000, runningMs: 200, total: 12, final: { status: 'completed', score: 0.5, error_count: 0 } };
    sim.addRun(ghost);
    // A confused Retab starts this job's run but answers with the other one.
    sim.fault({ method: 'POST', path: START_PATH, afterHandling: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify(renderRun(ghost, 0, 'flat')) });
    const result = await action(sim, { experiment_id: 'exp_pass', timeout: '2m' });
    const started = sim.startedRuns('exp_pass');
    expect(started).toHaveLength(1);
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ passed: 'true', run_id: started[0]?.id });
    expect(result.stdout).toContain('which is not a new run of experiment exp_pass');
    expect(result.stdout).toContain('the one new run among the experiment runs');
    expect(sim.runReads('exprun_ghost')).toEqual([]);
    expect(sim.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  }, 60_000);

  it('on timeout while looking, never cancels a run another job started just before and the list showed late', async ({ onTestFinished }) => {
    const sim = await simulator(onTestFinished, { listLagMs: 1_500 });
    const other = sim.startOtherRun('exp_forever', { trigger: 'api' });
    sim.fault({ method: 'POST', path: START_PATH, action: 'reset' });
    const result = await action(sim, { experiment_id: 'exp_forever', timeout: '4s' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'timed_out', run_id: '' });
    expect(sim.otherRuns('exp_forever')).toEqual([{ id: other, cancelled: false }]);
    expect(sim.cancelRequests()).toHaveLength(0);
    expect(sim.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});
