import { describe, expect, it } from 'vitest';
import { ADAPTIVE_DEFAULTS, adaptiveSchedule, defaultSchedule, expectedRemainingMs, fixedSchedule, readProgress, type PollRecord } from '../src/wait/poll-schedule.js';
import { mulberry32 } from './support/prng.js';

const o = ADAPTIVE_DEFAULTS;
const delayFor = (history: PollRecord[]) => defaultSchedule({ elapsedMs: history.at(-1)?.atMs ?? 0, run: null, history });
const poll = (atMs: number, status: string, completed: number | null = 0, total: number | null = 100): PollRecord => ({ atMs, status, completed, total });

/** Polls every `everyMs` until `untilMs`, the count given by `count(t)` (ms since the wait began; running from the first poll after `start`). */
function running(total: number, everyMs: number, untilMs: number, count: (t: number) => number, start: PollRecord[] = [poll(0, 'queued', 0, total)]): PollRecord[] {
  const history = [...start];
  const from = (start.at(-1)?.atMs ?? 0) + everyMs;
  for (let t = from; t <= untilMs; t += everyMs) history.push(poll(t, 'running', Math.min(total, Math.floor(count(t))), total));
  return history;
}

describe('adaptiveSchedule: its parameters', () => {
  it('are few, each a bound or a share a user can read', () => {
    expect(o).toEqual({ quickestMs: 2_000, unforeseenMs: 15_000, foreseenMs: 5_000, paceShare: 1 / 2, blindShare: 1 / 8 });
  });
});

describe('adaptiveSchedule: with nothing to go on, an eighth of the time spent in the state', () => {
  it.each([
    ['nothing seen yet', [], o.quickestMs],
    ['pending at the first poll', [poll(0, 'pending')], o.quickestMs],
    ['queued for 40 s', [poll(0, 'pending'), poll(1_000, 'queued'), poll(40_000, 'queued')], 40_000 / 8],
    ['queued for 10 min: the unforeseen-end bound', [poll(0, 'queued'), poll(600_000, 'queued')], o.unforeseenMs],
    ['an unknown status is waited for like the queue', [poll(0, 'paused'), poll(32_000, 'paused')], 32_000 / 8],
    ['running 40 s without progress', [poll(0, 'running'), poll(40_000, 'running')], 40_000 / 8],
    ['running 30 min without progress', [poll(0, 'running'), poll(1_800_000, 'running')], o.unforeseenMs],
    ['running without a document count', [poll(0, 'running', null, null), poll(48_000, 'running', null, null)], 48_000 / 8],
  ])('%s', (_name, history, expected) => {
    expect(delayFor(history as PollRecord[])).toBe(expected);
  });

  it('counts a run without counts from when it was seen running, not from the start of the wait', () => {
    // Ten minutes in the queue, then 16 s of running with no counts: the run may end at any moment.
    const history = [poll(0, 'queued', null, null), poll(600_000, 'queued', null, null), poll(616_000, 'running', null, null), poll(632_000, 'running', null, null)];
    expect(delayFor(history)).toBe(o.quickestMs);
  });
});

describe('adaptiveSchedule: with a pace, half the time it says is left', () => {
  it('sleeps at the unforeseen-end bound while the end is far, then half the time left', () => {
    // 500 documents at 1 per 2 s from the first poll: done 1000 s in.
    const pace = (t: number) => t / 2_000;
    expect(delayFor(running(500, 15_000, 300_000, pace))).toBe(o.unforeseenMs);
    const near = running(500, 15_000, 990_000, pace);
    const remaining = expectedRemainingMs(readProgress(near)!)!;
    expect(remaining).toBeGreaterThan(8_000);
    expect(remaining).toBeLessThan(12_000);
    expect(delayFor(near)).toBe(Math.round(Math.min(o.foreseenMs, remaining / 2)));
  });

  it('never sleeps past the end the pace foresees, however the estimate falls', () => {
    for (const until of [100_000, 400_000, 700_000, 940_000, 985_000, 995_000]) {
      const history = running(500, 5_000, until, (t) => t / 2_000);
      const remaining = expectedRemainingMs(readProgress(history)!)!;
      expect(delayFor(history)).toBeLessThanOrEqual(Math.max(o.quickestMs, remaining));
    }
  });

  it('sees a speed-up at once: the latest rise sets the pace when it is the faster', () => {
    // 1000 documents at 1 per 2 s for 10 min, then 300 in the next 15 s: 400 left at 20 per s.
    const slow = running(1_000, 15_000, 600_000, (t) => t / 2_000);
    const fast = [...slow, poll(615_000, 'running', 600, 1_000)];
    expect(expectedRemainingMs(readProgress(fast)!)).toBe(20_000);
    expect(delayFor(fast)).toBe(10_000);
  });

  it('is not fooled by a count that goes back and climbs again: the climb back is not progress', () => {
    // 100 documents at 1 per s; at 50 the count falls to 30, then climbs back to 52 within 10 s.
    const steady = running(100, 5_000, 50_000, (t) => t / 1_000);
    const dipped = [...steady, poll(55_000, 'running', 30, 100), poll(60_000, 'running', 52, 100)];
    const progress = readProgress(dipped)!;
    expect(progress.largestRise).toBeLessThanOrEqual(5);
    expect(progress.pace).toBeLessThan(1.2 / 1_000);
    // 48 left at about 1 per s: the next poll is still the unforeseen-end bound away, not a burst's.
    expect(delayFor(dipped)).toBe(o.unforeseenMs);
  });

  it('keeps its sleeps long between consensus batches far from the end', () => {
    // 500 documents in batches of 50 every 60 s; three batches in.
    const history = running(500, 15_000, 185_000, (t) => 50 * Math.floor(t / 60_000));
    expect(delayFor(history)).toBe(o.unforeseenMs);
  });
});

describe('adaptiveSchedule: when every document left could come in one rise, at most 5 s', () => {
  it('polls the last consensus batch every few seconds, however late it comes', () => {
    // 500 documents in batches of 50 every 60 s: 450 done, the last batch can come at any poll.
    const batches = (t: number) => 50 * Math.floor(t / 60_000);
    for (const until of [545_000, 560_000, 620_000, 700_000]) {
      const history = running(500, 15_000, until, (t) => Math.min(450, batches(t)));
      expect(history.at(-1)?.completed).toBe(450);
      expect(delayFor(history)).toBeLessThanOrEqual(o.foreseenMs);
    }
  });

  it('polls a tiny run’s last document every few seconds at most', () => {
    const history = [poll(0, 'queued', 0, 2), poll(2_000, 'running', 0, 2), poll(12_000, 'running', 1, 2), poll(30_000, 'running', 1, 2), poll(60_000, 'running', 1, 2)];
    expect(delayFor(history)).toBe(o.foreseenMs);
  });

  it('after the end the pace foresaw, sleeps an eighth of the time since the latest rise', () => {
    // 100 documents at 1 per s, 99 done at 99 s, and nothing since.
    const late = [...running(100, 3_000, 99_000, (t) => t / 1_000), poll(120_000, 'running', 99, 100)];
    expect(expectedRemainingMs(readProgress(late)!)).toBeLessThan(0);
    expect(delayFor(late)).toBe(Math.round(Math.max(o.quickestMs, (120_000 - 99_000) / 8)));
  });

  it('polls every 2 s once every document is done, while the run is scored', () => {
    expect(delayFor([poll(0, 'running', 10, 100), poll(60_000, 'running', 100, 100)])).toBe(o.quickestMs);
  });
});

describe('adaptiveSchedule: bounds', () => {
  it('stays between 2 s and 15 s, whatever it observes (counts going back, totals changing, statuses mixed)', () => {
    const random = mulberry32(42);
    const statuses = ['pending', 'queued', 'running', 'running', 'running', 'paused'];
    for (let trial = 0; trial < 500; trial++) {
      const history: PollRecord[] = [];
      let at = 0;
      let completed = 0;
      for (let i = 0; i < 1 + Math.floor(random() * 40); i++) {
        const total = random() < 0.1 ? null : 1 + Math.floor(random() * 500);
        at += Math.floor(random() * 120_000);
        completed = Math.max(0, completed + Math.floor((random() - 0.3) * 50));
        history.push(poll(at, statuses[Math.floor(random() * statuses.length)] ?? 'running', total === null ? null : completed, total));
        const delay = delayFor(history);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(o.quickestMs);
        expect(delay).toBeLessThanOrEqual(o.unforeseenMs);
      }
    }
  });

  it('takes its bounds from the options', () => {
    const tight = adaptiveSchedule({ quickestMs: 3_000, unforeseenMs: 4_000 });
    expect(tight({ elapsedMs: 0, run: null, history: [] })).toBe(3_000);
    expect(tight({ elapsedMs: 0, run: null, history: [poll(0, 'running'), poll(3_600_000, 'running')] })).toBe(4_000);
  });
});

describe('fixedSchedule', () => {
  it('is the interval, whatever was observed', () => {
    const history = running(500, 5_000, 990_000, (t) => t / 2_000);
    expect(fixedSchedule(2_500)({ elapsedMs: 990_000, run: null, history })).toBe(2_500);
  });
});
