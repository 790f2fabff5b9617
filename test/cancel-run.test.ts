/**
 * Cancelling a started run within its own time limit: a 429 (or another transient failure) is
 * tried again after `Retry-After`, while the limit allows; never past it. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { cancelStartedRun } from '../src/start/cancel-run.js';
import { RetabApiError, RetabResponseError } from '../src/retab/errors.js';
import { virtualClock } from './support/virtual-clock.js';

const refusal = (status: number, retryAfterMs: number | null = null) =>
  new RetabApiError(status, 'req_1', status === 429 ? 'Rate limit exceeded. Please try again later.' : 'Bad request', { method: 'POST', path: '/v1/workflows/experiments/runs/exprun_a/cancel' }, retryAfterMs, '');

/** A cancel endpoint that answers from a queue (then 200), recording when each attempt came. */
function endpoint(clock: { now: () => number }, answers: Error[]) {
  const attempts: number[] = [];
  const signals: AbortSignal[] = [];
  const cancelRun = async (runId: string, signal: AbortSignal) => {
    attempts.push(clock.now());
    signals.push(signal);
    const answer = answers.shift();
    if (answer) throw answer;
    return { id: runId, status: 'cancelled' };
  };
  return { attempts, signals, cancelRun };
}

const cancel = (clock: ReturnType<typeof virtualClock>, cancelRun: ReturnType<typeof endpoint>['cancelRun'], timeoutMs = 4_000) =>
  cancelStartedRun({ runId: 'exprun_a', reason: 'interrupted', enabled: true, cancelRun, timeoutMs, now: clock.now, sleep: clock.sleep, random: () => 0.5 });

describe('cancelStartedRun', () => {
  it('a 429 is tried again after Retry-After, within the time limit', async () => {
    const clock = virtualClock();
    const api = endpoint(clock, [refusal(429, 1_000), refusal(429, 1_000)]);
    await expect(cancel(clock, api.cancelRun)).resolves.toMatchObject({ kind: 'cancelled', status: 'cancelled' });
    expect(api.attempts).toEqual([0, 1_000, 2_000]);
    // Every attempt on the cancel's own signal, never aborted by then.
    expect(api.signals.every((signal) => signal === api.signals[0] && !signal.aborted)).toBe(true);
  });

  it('a 429 without Retry-After is tried again after a short backoff', async () => {
    const clock = virtualClock();
    const api = endpoint(clock, [refusal(429), refusal(503)]);
    await expect(cancel(clock, api.cancelRun)).resolves.toMatchObject({ kind: 'cancelled' });
    expect(api.attempts).toHaveLength(3);
    expect(api.attempts.at(-1)).toBeLessThan(1_000);
  });

  it('a Retry-After past the time limit ends it at once, saying why', async () => {
    const clock = virtualClock();
    const api = endpoint(clock, [refusal(429, 1_000), refusal(429, 5_000)]);
    const outcome = await cancel(clock, api.cancelRun);
    expect(outcome).toMatchObject({ kind: 'failed' });
    expect(api.attempts).toEqual([0, 1_000]);
    expect(clock.now()).toBe(1_000);
    if (outcome.kind === 'failed') expect(outcome.detail).toMatch(/HTTP 429.*waiting 5s to try again would pass the cancel's time limit \(4s\)/);
  });

  it('a refusal that retrying cannot change is not retried; a 404 means the run finished', async () => {
    const clock = virtualClock();
    const bad = endpoint(clock, [refusal(400)]);
    await expect(cancel(clock, bad.cancelRun)).resolves.toMatchObject({ kind: 'failed' });
    expect(bad.attempts).toHaveLength(1);
    const gone = endpoint(clock, [refusal(429, 500), refusal(404)]);
    await expect(cancel(clock, gone.cancelRun)).resolves.toMatchObject({ kind: 'not_cancellable' });
  });

  it('a malformed answer is asked again a few times, as before', async () => {
    const clock = virtualClock();
    const malformed = () => new RetabResponseError('malformed', 200, 'req_2', { method: 'POST', path: '/v1/workflows/experiments/runs/exprun_a/cancel' }, 'describes run exprun_b, not exprun_a');
    const api = endpoint(clock, [malformed(), malformed(), malformed(), malformed()]);
    await expect(cancel(clock, api.cancelRun)).resolves.toMatchObject({ kind: 'failed' });
    expect(api.attempts).toHaveLength(3);
  });
});
