import { describe, expect, it } from 'vitest';
import { fixedSchedule } from '../src/wait/poll-schedule.js';
import { progressLine, shouldLogProgress } from '../src/wait/progress.js';
import { RetabApiError, RetabConnectionError, RetabResponseError } from '../src/retab/errors.js';
import type { ExperimentRun } from '../src/retab/run.js';
import { waitForRun, type WaitOptions } from '../src/wait/wait.js';
import { makeRun } from './support/runs.js';
import { virtualClock } from './support/virtual-clock.js';

const request = { method: 'GET', path: '/v1/workflows/experiments/runs/exprun_2' };
const apiError = (status: number, retryAfterMs: number | null = null) => new RetabApiError(status, `req_${status}`, 'detail', request, retryAfterMs, '');

/** A fetchRun that plays a script: a run to return or an error to throw, one per call; the last repeats. */
function scripted(steps: Array<Partial<ExperimentRun> | Error>, clock: ReturnType<typeof virtualClock>) {
  const calls: number[] = [];
  const fetchRun = async () => {
    calls.push(clock.now());
    const step = steps[Math.min(calls.length - 1, steps.length - 1)];
    if (step instanceof Error) throw step;
    return makeRun(step);
  };
  return { fetchRun, calls };
}

function options(clock: ReturnType<typeof virtualClock>, overrides: Partial<WaitOptions>): WaitOptions {
  return {
    fetchRun: async () => makeRun(),
    timeoutMs: 60_000,
    schedule: fixedSchedule(1_000),
    signal: new AbortController().signal,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    ...overrides,
  };
}

describe('waitForRun', () => {
  it('polls through every non-terminal status, unknown ones included, until a terminal one', async () => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([{ status: 'pending' }, { status: 'queued' }, { status: 'running' }, { status: 'warming_up' }, { status: 'completed' }], clock);
    const outcome = await waitForRun(options(clock, { fetchRun }));
    expect(outcome.kind).toBe('finished');
    expect(outcome.run?.status).toBe('completed');
    expect(calls).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it.each(['error', 'cancelled'])('stops at once on %s', async (status) => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([{ status }], clock);
    const outcome = await waitForRun(options(clock, { fetchRun }));
    expect(outcome).toMatchObject({ kind: 'finished', polls: 1 });
    expect(calls).toHaveLength(1);
  });

  it('times out at the deadline, after one last poll there, keeping the last run read', async () => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([{ status: 'running' }], clock);
    const outcome = await waitForRun(options(clock, { fetchRun, timeoutMs: 2_500 }));
    expect(outcome.kind).toBe('timed_out');
    expect(outcome.run?.status).toBe('running');
    expect(calls).toEqual([0, 1_000, 2_000, 2_500]);
    expect(clock.sleeps.every((ms) => ms <= 1_000)).toBe(true);
  });

  it('retries transient failures with growing, jittered delays, then carries on', async () => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([apiError(503), apiError(502), new RetabConnectionError('ECONNRESET', request, 'x', null), { status: 'completed' }], clock);
    const retries: number[] = [];
    const outcome = await waitForRun(options(clock, { fetchRun, random: () => 0.5, onRetry: (_e, delay) => retries.push(delay) }));
    expect(outcome.kind).toBe('finished');
    expect(calls).toHaveLength(4);
    expect(retries).toEqual([500, 1_000, 2_000]); // half of 1 s, 2 s, 4 s
  });

  it('honours Retry-After, bounded by the time left', async () => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([apiError(429, 7_000), { status: 'completed' }], clock);
    await waitForRun(options(clock, { fetchRun }));
    expect(calls).toEqual([0, 7_000]);

    const late = virtualClock();
    const again = scripted([apiError(429, 600_000), { status: 'completed' }], late);
    await waitForRun(options(late, { fetchRun: again.fetchRun, timeoutMs: 10_000 }));
    expect(again.calls).toEqual([0, 10_000]);
  });

  it('stops at once on an error that is not transient', async () => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([apiError(401)], clock);
    const outcome = await waitForRun(options(clock, { fetchRun }));
    expect(outcome.kind).toBe('failed');
    expect(calls).toHaveLength(1);

    const shape = scripted([new RetabResponseError('unexpected_shape', 200, null, request, 'bad')], clock);
    expect((await waitForRun(options(clock, { fetchRun: shape.fetchRun }))).kind).toBe('failed');
  });

  it('retries a 404 a few times, since a new run can lag, then gives up', async () => {
    const clock = virtualClock();
    const { fetchRun, calls } = scripted([apiError(404)], clock);
    const outcome = await waitForRun(options(clock, { fetchRun }));
    expect(outcome.kind).toBe('failed');
    expect(calls).toHaveLength(3);

    const lagging = scripted([apiError(404), apiError(404), { status: 'completed' }], clock);
    expect((await waitForRun(options(clock, { fetchRun: lagging.fetchRun }))).kind).toBe('finished');
  });

  it('reports a timeout, with the last error, when failures last until the deadline', async () => {
    const clock = virtualClock();
    const { fetchRun } = scripted([apiError(503)], clock);
    const outcome = await waitForRun(options(clock, { fetchRun, timeoutMs: 20_000 }));
    expect(outcome.kind).toBe('timed_out');
    if (outcome.kind === 'timed_out') expect(outcome.lastError).toBeInstanceOf(RetabApiError);
  });

  it('stops when interrupted', async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    const { fetchRun, calls } = scripted([{ status: 'running' }], clock);
    const outcome = await waitForRun(
      options(clock, {
        fetchRun,
        signal: controller.signal,
        onRun: () => {
          if (calls.length === 2) controller.abort();
        },
      }),
    );
    expect(outcome.kind).toBe('interrupted');
    expect(calls).toHaveLength(2);
  });
});

describe('progress lines', () => {
  const run = makeRun({ status: 'running', completed_document_count: 3, total_document_count: 12 });

  it('log the first poll, any change, and otherwise every 30 s', () => {
    expect(shouldLogProgress(null, run, 0)).toBe(true);
    const logged = { status: 'running', completed: 3, atMs: 1_000 };
    expect(shouldLogProgress(logged, run, 20_000)).toBe(false);
    expect(shouldLogProgress(logged, run, 31_000)).toBe(true);
    expect(shouldLogProgress(logged, { ...run, completed_document_count: 4 }, 2_000)).toBe(true);
    expect(shouldLogProgress(logged, { ...run, status: 'completed' }, 2_000)).toBe(true);
  });

  it('say the status, documents done of total, and time elapsed', () => {
    expect(progressLine(run, 65_000)).toBe('Run exprun_2: running, 3/12 documents, 1m 5s elapsed');
  });
});
