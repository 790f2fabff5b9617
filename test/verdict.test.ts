import { describe, expect, it } from 'vitest';
import { RetabApiError, RetabConnectionError } from '../src/retab/errors.js';
import { formatScore } from '../src/common/format.js';
import { decideVerdict, type Criteria } from '../src/verdict/rules.js';
import type { WaitOutcome } from '../src/wait/wait.js';
import { makeRun } from './support/runs.js';

const criteria: Criteria = { runId: 'exprun_2', threshold: 0.8, maxErrors: 0, timeoutMs: 1_800_000 };
const finished = (overrides: Parameters<typeof makeRun>[0]): WaitOutcome => ({ kind: 'finished', run: makeRun(overrides), polls: 3, elapsedMs: 5_000 });
const request = { method: 'GET', path: '/v1/workflows/experiments/runs/exprun_2' };

describe('decideVerdict', () => {
  it('passes a completed run at or above the threshold with errors within the allowance', () => {
    expect(decideVerdict(finished({ score: 0.8 }), criteria)).toEqual({ passed: true, failures: [] });
    expect(decideVerdict(finished({ score: 0.95, error_count: 2 }), { ...criteria, maxErrors: 2 }).passed).toBe(true);
  });

  it('names a score below the threshold with both figures', () => {
    const verdict = decideVerdict(finished({ score: 0.62 }), criteria);
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toEqual([{ rule: 'score_below_threshold', message: 'score 0.62 is below the threshold 0.8' }]);
  });

  it('shows the full score when rounding would make it look equal to the threshold', () => {
    const verdict = decideVerdict(finished({ score: 0.79999 }), criteria);
    expect(verdict.failures[0]?.message).toBe('score 0.79999 is below the threshold 0.8');
  });

  it('names too many errors, and every failing rule at once', () => {
    const verdict = decideVerdict(finished({ score: 0.5, error_count: 3 }), { ...criteria, maxErrors: 1 });
    expect(verdict.failures.map((failure) => failure.rule)).toEqual(['score_below_threshold', 'too_many_errors']);
    expect(verdict.failures[1]?.message).toBe('3 errors occurred; at most 1 allowed (`max_errors`)');
  });

  it('fails a completed run without a score', () => {
    expect(decideVerdict(finished({ score: null }), criteria).failures.map((f) => f.rule)).toEqual(['no_score']);
  });

  it('fails an errored run with its message, and a cancelled one with its reason, whatever the score', () => {
    const errored = decideVerdict(finished({ status: 'error', message: 'model timed out', score: 0.99 }), criteria);
    expect(errored.failures).toEqual([{ rule: 'run_error', message: 'run exprun_2 ended with status error: model timed out' }]);
    const cancelled = decideVerdict(finished({ status: 'cancelled', reason: 'by jane', score: 0.99 }), criteria);
    expect(cancelled.failures).toEqual([{ rule: 'run_cancelled', message: 'run exprun_2 was cancelled: by jane' }]);
  });

  it('fails a timed-out wait, saying what the run was doing and the timeout', () => {
    const verdict = decideVerdict({ kind: 'timed_out', run: makeRun({ status: 'running' }), polls: 9, elapsedMs: 90_000, lastError: null }, { ...criteria, timeoutMs: 90_000 });
    expect(verdict.failures).toEqual([{ rule: 'timed_out', message: 'run exprun_2 did not finish within the timeout of 1m 30s; it was still running' }]);
  });

  it('fails an interrupted wait', () => {
    expect(decideVerdict({ kind: 'interrupted', run: null, polls: 1, elapsedMs: 1_000 }, criteria).failures[0]?.rule).toBe('interrupted');
  });

  it('tells a missing run from other API failures', () => {
    const notFound = new RetabApiError(404, 'req_1', 'Experiment run not found: exprun_2', request, null, '');
    const missing = decideVerdict({ kind: 'failed', run: null, polls: 3, elapsedMs: 2_000, error: notFound }, criteria);
    expect(missing.failures[0]?.rule).toBe('not_found');
    expect(missing.failures[0]?.message).toContain('run exprun_2 not found');
    expect(missing.failures[0]?.message).toContain('HTTP 404');
    expect(missing.failures[0]?.message).toContain('req_1');

    const refused = new RetabConnectionError('ECONNREFUSED', request, 'https://api.retab.com', null);
    const down = decideVerdict({ kind: 'failed', run: null, polls: 3, elapsedMs: 2_000, error: refused }, criteria);
    expect(down.failures[0]?.rule).toBe('api_error');
    expect(down.failures[0]?.message).toContain('ECONNREFUSED');
  });
});

describe('formatScore', () => {
  it.each([
    [0.87, '0.87'],
    [0.8, '0.8'],
    [1, '1'],
    [0, '0'],
    [0.87654, '0.8765'],
  ])('%d → %s', (score, text) => {
    expect(formatScore(score)).toBe(text);
  });
});
