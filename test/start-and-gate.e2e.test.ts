/**
 * The built action (dist/index.js), run the way the runner runs it, starting runs on the simulator.
 * Run `npm run build` first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAction } from './support/run-action.js';
import { startSimulator } from './simulator/retab-simulator.js';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator();
});
afterEach(async () => {
  await sim.close();
});

const GITHUB = {
  GITHUB_WORKFLOW: 'PR check [model]',
  GITHUB_RUN_NUMBER: '42',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/invoices',
  GITHUB_RUN_ID: '987654321',
};

function action(inputs: Record<string, string>, extra: Partial<Parameters<typeof runAction>[0]> = {}) {
  return runAction({
    inputs: { threshold: '0.8', api_key: sim.apiKey, base_url: sim.url, poll_interval: '200ms', ...inputs },
    env: GITHUB,
    ...extra,
  });
}

describe('experiment_id: start a run and gate on it', () => {
  it('starts a run, waits for it and passes; the summary says this workflow started it', async () => {
    const result = await action({ experiment_id: 'exp_pass', workflow_id: 'wf_abc123' });
    expect(result.exitCode).toBe(0);
    const [started] = sim.startedRuns('exp_pass');
    expect(started?.id).toBeDefined();
    expect(result.outputs).toMatchObject({ passed: 'true', status: 'completed', score: '0.91', run_id: started?.id });
    expect(sim.startedRuns('exp_pass')).toHaveLength(1);
    const post = sim.requests.find((r) => r.method === 'POST');
    expect(JSON.parse(post?.body ?? '')).toEqual({ experiment_id: 'exp_pass', workflow_id: 'wf_abc123' });
    expect(result.summary).toContain('was started by this workflow: [PR check \\[model\\] #42](https://github.com/acme/invoices/actions/runs/987654321) at commit 0123456.');
    expect(result.stdout).toContain(`Started run ${started?.id}`);
    expect(sim.cancelRequests()).toHaveLength(0);
  });

  it('starts a run and fails the step when its score is below the threshold', async () => {
    const result = await action({ experiment_id: 'exp_low' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'completed', score: '0.55', run_id: sim.startedRuns('exp_low')[0]?.id });
    expect(result.stdout).toContain('::error::score 0.55 is below the threshold 0.8');
    expect(result.summary).toContain('was started by this workflow');
    expect(sim.cancelRequests()).toHaveLength(0);
  });

  it('fails with not_found, naming the input, when the experiment does not exist', async () => {
    const result = await action({ experiment_id: 'exp_missing' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'not_found', run_id: '' });
    expect(result.stdout).toMatch(/::error::could not start a run: experiment exp_missing not found: .*HTTP 404.*Check `experiment_id`/);
    // The experiment's runs are listed first, then the one refused POST.
    expect(sim.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });
});

describe('cancelling what the action started', () => {
  it('cancels the run it started when the wait times out', async () => {
    const result = await action({ experiment_id: 'exp_forever', timeout: '2s' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('timed_out');
    const started = sim.startedRuns('exp_forever');
    expect(started).toEqual([{ id: result.outputs.run_id, cancelled: true }]);
    expect(sim.cancelRequests().map((r) => r.path)).toEqual([`/v1/workflows/experiments/runs/${result.outputs.run_id}/cancel`]);
    expect(result.summary).toContain('because the wait timed out');
    expect(result.stdout).toContain(`Cancelled run ${result.outputs.run_id}`);
  });

  it('leaves it running with cancel_on_abort: false', async () => {
    const result = await action({ experiment_id: 'exp_forever', timeout: '2s', cancel_on_abort: 'FALSE' });
    expect(result.outputs.status).toBe('timed_out');
    expect(sim.cancelRequests()).toHaveLength(0);
    expect(sim.startedRuns('exp_forever')).toEqual([{ id: result.outputs.run_id, cancelled: false }]);
    expect(result.summary).toContain('because the input cancel\\_on\\_abort is false');
  });

  it('on SIGINT (job cancelled), cancels the run it started and exits promptly', async () => {
    let signalledAt = 0;
    const result = await action(
      { experiment_id: 'exp_forever', timeout: '10m' },
      {
        onStart(child, output) {
          const timer = setInterval(() => {
            if (!output.stdout.includes('Waiting for Retab experiment run')) return;
            clearInterval(timer);
            signalledAt = Date.now();
            child.kill('SIGINT');
          }, 20);
        },
        killAfterMs: 30_000,
      },
    );
    const exitMs = Date.now() - signalledAt;
    console.log(`exited ${exitMs} ms after SIGINT`);
    expect(signalledAt).toBeGreaterThan(0);
    // It exits on its own (not killed by the safety net), well before the runner's SIGTERM 7.5 s later.
    expect(result.signal).toBeNull();
    expect(exitMs).toBeLessThan(7_500);
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('interrupted');
    expect(sim.startedRuns('exp_forever')).toEqual([{ id: result.outputs.run_id, cancelled: true }]);
    expect(result.summary).toContain('because the job was cancelled');
  });

  it('never cancels a run given by run_id, on timeout or on SIGINT', async () => {
    const timedOut = await action({ run_id: 'exprun_forever', timeout: '2s' });
    expect(timedOut.outputs.status).toBe('timed_out');
    const interrupted = await action(
      { run_id: 'exprun_forever', timeout: '10m' },
      {
        onStart(child, output) {
          const timer = setInterval(() => {
            if (!output.stdout.includes('Waiting for Retab experiment run')) return;
            clearInterval(timer);
            child.kill('SIGINT');
          }, 20);
        },
      },
    );
    expect(interrupted.outputs.status).toBe('interrupted');
    expect(sim.cancelRequests()).toHaveLength(0);
    expect(sim.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(timedOut.summary + interrupted.summary).not.toContain('started by this workflow');
  });
});

describe('run_id or experiment_id: exactly one', () => {
  it.each([
    ['both', { run_id: 'exprun_pass', experiment_id: 'exp_pass' }, 'experiment_id', 'give exactly one'],
    ['neither', {}, 'run_id', 'one of `run_id`'],
    ['workflow_id with run_id', { run_id: 'exprun_pass', workflow_id: 'wf_abc123' }, 'workflow_id', 'only used with `experiment_id`'],
    ['a bad cancel_on_abort', { experiment_id: 'exp_pass', cancel_on_abort: 'yes' }, 'cancel_on_abort', 'expected "true"'],
    ['a bad experiment_id', { experiment_id: 'exp pass' }, 'experiment_id', 'letters, digits'],
  ])('%s is an input error, and no request is sent', async (_name, inputs, input, hint) => {
    const result = await action(inputs);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ passed: 'false', status: 'input_error' });
    expect(result.stdout).toContain(`::error::Input \`${input}\``);
    expect(result.stdout).toContain(hint);
    expect(sim.requests).toEqual([]);
  });
});
