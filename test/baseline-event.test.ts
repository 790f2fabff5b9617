/** The event's facts and the check run's plan: pure, from the payload and the result. */
import { describe, expect, it } from 'vitest';
import { gateEvent } from '../src/github/event.js';
import { planCheckRun, SUMMARY_LIMIT } from '../src/github/check-run.js';
import type { GateResult } from '../src/gate/result.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const env = (name: string) => ({ GITHUB_REPOSITORY: 'octo/repo', GITHUB_EVENT_NAME: name, GITHUB_SHA: C, GITHUB_REF_NAME: 'main' });

describe('the event', () => {
  it.each(['pull_request', 'pull_request_target'])('%s: the check run on the head, the search from the base', (name) => {
    const event = gateEvent(env(name), { pull_request: { head: { sha: A }, base: { sha: B, ref: 'main' } } });
    expect(event).toMatchObject({ owner: 'octo', repo: 'repo', headSha: A, search: { sha: B, skip: 0, branch: 'main' } });
  });

  it('merge_group: from its base', () => {
    const event = gateEvent(env('merge_group'), { merge_group: { head_sha: A, base_sha: B, base_ref: 'refs/heads/main' } });
    expect(event).toMatchObject({ headSha: A, search: { sha: B, skip: 0, branch: 'main' } });
  });

  it('a push: on its own commit, the search from its parent', () => {
    expect(gateEvent(env('push'), {})).toMatchObject({ headSha: C, search: { sha: C, skip: 1, branch: 'main' } });
  });

  it('never takes a sha or a branch that is not one', () => {
    const event = gateEvent(env('pull_request'), { pull_request: { head: { sha: '../../x' }, base: { sha: 'main', ref: 'a b' } } });
    expect(event).toMatchObject({ headSha: C, search: null });
    expect(gateEvent({ GITHUB_REPOSITORY: 'not a repo' }, {})).toBeNull();
    expect(gateEvent({ ...env('pull_request'), GITHUB_SERVER_URL: 'javascript:alert(1)' }, {})?.commitUrl(A)).toBeNull();
  });
});

describe('the check run', () => {
  const result = (passed: boolean, extra: Partial<GateResult> = {}): GateResult => ({ status: 'completed', passed, failures: passed ? [] : [{ rule: 'score_below_threshold', message: 'low' }], runId: 'exprun_1', threshold: 0.8, maxErrors: 0, run: null, waitedMs: 1, ...extra });

  it('is named after the label, carries the run id, and fits GitHub\'s limit', () => {
    const check = planCheckRun({ label: 'invoices', result: result(false), summary: 'x'.repeat(100_000) }, A);
    expect(check).toMatchObject({ name: 'Retab gate: invoices', head_sha: A, external_id: 'exprun_1', conclusion: 'failure' });
    expect(check.summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(check.title).toMatch(/^Failed \(score_below_threshold\)/);
  });

  it('carries no external_id that is not a run id', () => {
    expect(planCheckRun({ label: 'x', result: result(true, { runId: 'a b' }), summary: '' }, A)).not.toHaveProperty('external_id');
  });
});
