import { describe, expect, it } from 'vitest';
import { defaultSchedule, fixedSchedule, type Observation } from '../src/wait/poll-schedule.js';
import { RetabApiError } from '../src/retab/errors.js';
import type { ExperimentRun } from '../src/retab/run.js';
import { waitForRun } from '../src/wait/wait.js';
import { mulberry32 } from './support/prng.js';

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

  it('polls with the schedule the settings say: fixed when poll_interval is set', async () => {
    const { sleeps } = await drive([run('running', 1), run('running', 5), run('running', 9)], fixedSchedule(7_000));
    expect(sleeps).toEqual([7_000, 7_000, 7_000]);
  });
});

/** A run's answers over time: queued until `queuedMs`, running until `endMs` with `count(t)` documents done, then `final`. */
interface Timeline {
  queuedMs: number;
  endMs: number;
  total: number | null;
  count: (runningMs: number) => number;
  final: 'completed' | 'error' | 'cancelled';
}

/** The real wait loop, on a virtual clock, against a timeline; each request takes 100 ms and reads halfway. */
async function waitFor(timeline: Timeline, schedule = defaultSchedule) {
  let clock = 0;
  let requests = 0;
  const outcome = await waitForRun({
    fetchRun: async () => {
      requests += 1;
      clock += 50;
      const at = clock;
      clock += 50;
      const status = at >= timeline.endMs ? timeline.final : at >= timeline.queuedMs ? 'running' : 'queued';
      const completed = status === 'completed' ? timeline.total : status === 'running' && timeline.total !== null ? Math.min(timeline.total, timeline.count(at - timeline.queuedMs)) : 0;
      return { id: 'exprun_1', status, completed_document_count: timeline.total === null ? null : completed, total_document_count: timeline.total } as ExperimentRun;
    },
    timeoutMs: 6 * 3_600_000,
    schedule,
    signal: new AbortController().signal,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    random: () => 0.5,
  });
  expect(outcome.kind).toBe('finished');
  return { requests, latencyMs: clock - timeline.endMs };
}

describe('the adaptive schedule in the wait loop', () => {
  it('waits for a 40 s run with steady progress after 2 s in the queue in at most 10 requests, noticing the end within 3 s', async () => {
    for (const total of [10, 20, 40, 100]) {
      const { requests, latencyMs } = await waitFor({ queuedMs: 2_000, endMs: 42_000, total, count: (t) => Math.floor((total * t) / 40_000), final: 'completed' });
      expect(requests).toBeLessThanOrEqual(10);
      expect(latencyMs).toBeLessThanOrEqual(3_000);
    }
  });

  it('never makes more requests than polling every 2 s, tiny runs included', async () => {
    const random = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const total = 1 + Math.floor(random() * 3);
      const queuedMs = random() < 0.3 ? 0 : random() * 60_000;
      const runningMs = 5_000 + random() * 35_000;
      const moments = Array.from({ length: total }, () => random() * runningMs).sort((a, b) => a - b);
      const timeline: Timeline = { queuedMs, endMs: queuedMs + runningMs + 500, total, count: (t) => moments.filter((m) => m <= t).length, final: 'completed' };
      const ours = await waitFor(timeline);
      const fixed = await waitFor(timeline, fixedSchedule(2_000));
      expect(ours.requests).toBeLessThanOrEqual(fixed.requests);
    }
  });

  it('notices an end nothing announces within 15 s: an error or cancellation at any moment, a run without counts', async () => {
    const random = mulberry32(11);
    for (let i = 0; i < 200; i++) {
      const queuedMs = random() * 600_000;
      const runningMs = 60_000 + random() * 3 * 3_600_000;
      const total = random() < 0.3 ? null : 10 + Math.floor(random() * 1_000);
      const endMs = random() < 0.2 ? random() * queuedMs : queuedMs + random() * runningMs;
      const final = total === null && random() < 0.5 ? 'completed' : random() < 0.5 ? 'error' : 'cancelled';
      const { latencyMs } = await waitFor({ queuedMs, endMs, total, count: (t) => Math.floor(((total ?? 0) * t) / runningMs), final });
      expect(latencyMs).toBeLessThanOrEqual(15_000 + 100);
    }
  });
});

