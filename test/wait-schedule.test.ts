import { describe, expect, it } from 'vitest';
import type { Observation } from '../src/poll-schedule.js';
import { RetabApiError } from '../src/retab/errors.js';
import type { ExperimentRun } from '../src/retab/run.js';
import { waitForRun } from '../src/wait.js';

const run = (status: string, completed: number): ExperimentRun =>
  ({ id: 'exprun_1', status, completed_document_count: completed, total_document_count: 10 }) as ExperimentRun;

/** The wait loop on a virtual clock: answers are taken in order, sleeps only move the clock. */
async function drive(answers: Array<ExperimentRun | Error>, schedule: (observation: Observation) => number, timeoutMs = 600_000) {
  let clock = 0;
  const sleeps: number[] = [];
  const observations: Observation[] = [];
  const outcome = await waitForRun({
    fetchRun: async () => {
      const answer = answers.shift() ?? run('completed', 10);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    timeoutMs,
    schedule: (observation) => {
      observations.push({ ...observation, history: [...observation.history] });
      return schedule(observation);
    },
    signal: new AbortController().signal,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
  });
  return { outcome, sleeps, observations };
}

describe('waitForRun and the schedule', () => {
  it('hands the schedule every successful poll so far, oldest first', async () => {
    const { observations } = await drive([run('queued', 0), run('running', 2), run('running', 6)], () => 5_000);
    expect(observations.map((o) => o.history)).toEqual([
      [{ atMs: 0, status: 'queued', completed: 0, total: 10 }],
      [
        { atMs: 0, status: 'queued', completed: 0, total: 10 },
        { atMs: 5_000, status: 'running', completed: 2, total: 10 },
      ],
      [
        { atMs: 0, status: 'queued', completed: 0, total: 10 },
        { atMs: 5_000, status: 'running', completed: 2, total: 10 },
        { atMs: 10_000, status: 'running', completed: 6, total: 10 },
      ],
    ]);
  });

  it('lets Retry-After win over the schedule, and keeps failed polls out of the history', async () => {
    const limited = new RetabApiError(429, 'req_1', 'Rate limit exceeded', { method: 'GET', path: '/v1/x' }, 45_000, '');
    const { sleeps, observations } = await drive([run('running', 1), limited, run('running', 3)], () => 2_000);
    expect(sleeps).toEqual([2_000, 45_000, 2_000]);
    expect(observations.at(-1)?.history.map((p) => p.atMs)).toEqual([0, 47_000]);
  });

  it('lets the overall timeout win over a long sleep', async () => {
    const { outcome, sleeps } = await drive([run('running', 1), run('running', 1), run('running', 1)], () => 60_000, 90_000);
    expect(sleeps).toEqual([60_000, 30_000]);
    expect(outcome.kind).toBe('timed_out');
  });
});
