import { describe, expect, it } from 'vitest';
import { cancelReasonFor, describeCancellation } from '../src/start/cancel-run.js';
import { resultFromStartFailure, type GateResult } from '../src/gate/result.js';
import { startedByFromEnv } from '../src/inputs/github-context.js';
import { RetabApiError } from '../src/retab/errors.js';
import { buildOutputs } from '../src/report/outputs.js';
import { renderSummary } from '../src/report/summary.js';

const ENV = {
  GITHUB_WORKFLOW: 'PR check',
  GITHUB_RUN_NUMBER: '42',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/invoices',
  GITHUB_RUN_ID: '987654321',
};

describe('startedByFromEnv', () => {
  it('reads the workflow, run number, short commit and the workflow run link', () => {
    expect(startedByFromEnv(ENV)).toEqual({ workflow: 'PR check', runNumber: '42', commit: '0123456', url: 'https://github.com/acme/invoices/actions/runs/987654321' });
  });

  it('builds no link from values that do not have GitHub shapes', () => {
    expect(startedByFromEnv({ ...ENV, GITHUB_REPOSITORY: 'acme/x) [y](javascript:alert(1)' }).url).toBeNull();
    expect(startedByFromEnv({ ...ENV, GITHUB_SERVER_URL: 'javascript:alert(1)' }).url).toBeNull();
    expect(startedByFromEnv({ ...ENV, GITHUB_RUN_ID: '12a' }).url).toBeNull();
    expect(startedByFromEnv({ ...ENV, GITHUB_SHA: 'not-a-sha', GITHUB_RUN_NUMBER: 'x' })).toMatchObject({ commit: null, runNumber: null });
    expect(startedByFromEnv({})).toEqual({ workflow: null, runNumber: null, commit: null, url: null });
  });
});

const base: GateResult = { status: 'timed_out', passed: false, failures: [], runId: 'exprun_9', threshold: 0.8, maxErrors: 0, run: null, waitedMs: 1_000 };

describe('the summary of a started run', () => {
  it('says which workflow run started it, escaping the workflow name', () => {
    const summary = renderSummary({ ...base, startedBy: { ...startedByFromEnv(ENV), workflow: '<img src=x> [evil](http://e) **b**' } });
    expect(summary).toContain(
      'Run exprun\\_9 was started by this workflow: [&lt;img src=x&gt; \\[evil\\]\\(http\\[:\\]//e\\) \\*\\*b\\*\\* #42](https://github.com/acme/invoices/actions/runs/987654321) at commit 0123456.',
    );
    expect(summary).not.toContain('<img');
  });

  it('says so without a link when the GitHub context is unknown', () => {
    expect(renderSummary({ ...base, startedBy: startedByFromEnv({}) })).toContain('Run exprun\\_9 was started by this workflow: workflow run.');
  });

  it('shows the outcome of the cancel, escaped', () => {
    const summary = renderSummary({ ...base, cancellation: { kind: 'failed', runId: 'exprun_9', reason: 'interrupted', detail: 'Retab answered HTTP 500: <b>boom</b>' } });
    expect(summary).toContain('Could not cancel run exprun\\_9 after the job was cancelled: Retab answered HTTP 500: &lt;b&gt;boom&lt;/b&gt;. It may still be running');
  });

  it('says nothing of starting or cancelling for a run given by run_id', () => {
    const summary = renderSummary(base);
    expect(summary).not.toMatch(/started by|cancel/i);
  });
});

describe('cancellation', () => {
  it('is due only when the wait gave up on the run', () => {
    expect(['finished', 'failed', 'timed_out', 'interrupted'].map(cancelReasonFor)).toEqual([null, null, 'timed_out', 'interrupted']);
  });

  it.each([
    [{ kind: 'cancelled', status: 'cancelled' }, 'Cancelled run r1, which this action started, because the wait timed out (its status is now cancelled).'],
    [{ kind: 'not_cancellable', detail: 'HTTP 404' }, 'Run r1 was not cancelled after the wait timed out: Retab says it can no longer be cancelled (it finished in the meantime). HTTP 404'],
    [{ kind: 'disabled' }, 'Run r1 was left running after the wait timed out, because the input cancel_on_abort is false.'],
  ] as const)('describes %j', (fields, text) => {
    expect(describeCancellation({ runId: 'r1', reason: 'timed_out', ...fields })).toBe(text);
  });
});

describe('resultFromStartFailure', () => {
  const criteria = { experimentId: 'exp_1', workflowId: 'wf_1', threshold: 0.8, maxErrors: 0, timeoutMs: 60_000 };
  const request = { method: 'POST', path: '/v1/workflows/experiments/runs' };

  it('a 404 is not_found, pointing at experiment_id and workflow_id', () => {
    const error = new RetabApiError(404, 'req_1', 'Experiment not found: exp_1', request, null, '');
    const result = resultFromStartFailure({ kind: 'failed', error, attempts: 1, elapsedMs: 10 }, criteria);
    expect(result).toMatchObject({ status: 'not_found', passed: false, runId: null });
    expect(result.failures[0]?.message).toMatch(/^could not start a run: experiment exp_1 \(workflow wf_1\) not found: .*request id req_1.*Check `experiment_id` and `workflow_id`/);
    expect(buildOutputs(result)).toMatchObject({ status: 'not_found', run_id: '', passed: 'false' });
  });

  it('a timeout names the run a last look found, so the run_id output has it', () => {
    const orphan = { id: 'exprun_orphan' } as never;
    const result = resultFromStartFailure({ kind: 'timed_out', lastError: new Error('reset'), orphan, attempts: 2, elapsedMs: 60_000 }, criteria);
    expect(result).toMatchObject({ status: 'timed_out', runId: 'exprun_orphan' });
    expect(result.failures[0]?.message).toBe('no run of experiment exp_1 (workflow wf_1) could be started within the timeout of 1m; the last attempt failed: reset');
  });
});
