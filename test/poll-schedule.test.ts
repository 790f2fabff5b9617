import { describe, expect, it } from 'vitest';
import { ADAPTIVE_DEFAULTS, adaptiveSchedule, defaultSchedule, estimateRemainingMs, fixedSchedule, readProgress, type PollRecord } from '../src/poll-schedule.js';

const o = ADAPTIVE_DEFAULTS;
const delayFor = (history: PollRecord[]) => defaultSchedule({ elapsedMs: history.at(-1)?.atMs ?? 0, run: null, history });
const poll = (atMs: number, status: string, completed: number | null = 0, total: number | null = 100): PollRecord => ({ atMs, status, completed, total });

/** Polls every `everyMs` until `untilMs`, the count given by `count(t)` (ms since running began at 0). */
function running(total: number, everyMs: number, untilMs: number, count: (t: number) => number, start: PollRecord[] = [poll(0, 'queued', 0, total)]): PollRecord[] {
  const history = [...start];
  const from = (start.at(-1)?.atMs ?? 0) + everyMs;
  for (let t = from; t <= untilMs; t += everyMs) history.push(poll(t, 'running', Math.min(total, Math.floor(count(t))), total));
  return history;
}

describe('adaptiveSchedule', () => {
  it.each([
    ['nothing seen yet', [], o.floorMs],
    ['pending at the first poll', [poll(0, 'pending')], o.floorMs],
    ['queued for 20 s', [poll(0, 'queued'), poll(20_000, 'queued')], 0.4 * 20_000],
    ['queued for 10 min: the queue cap', [poll(0, 'queued'), poll(600_000, 'queued')], o.queueCapMs],
    ['an unknown status is treated like the queue', [poll(0, 'paused'), poll(10_000, 'paused')], 0.4 * 10_000],
    ['running 50 s without progress', [poll(0, 'running'), poll(50_000, 'running')], 0.1 * 50_000],
    ['running 30 min without progress: the blind cap', [poll(0, 'running'), poll(1_800_000, 'running')], o.blindCapMs],
    ['running without a document count', [poll(0, 'running', null, null), poll(40_000, 'running', null, null)], 0.1 * 40_000],
    ['every document done, not yet completed', [poll(0, 'running', 10, 100), poll(60_000, 'running', 100, 100)], o.denseMs],
    ['499 of 500 done, no progress for 2 min (slow tail)', [...running(500, 10_000, 600_000, (t) => t / 1_200), poll(720_000, 'running', 499, 500)], o.stallCapMs],
  ])('%s', (_name, history, expected) => {
    expect(delayFor(history as PollRecord[])).toBe(expected);
  });

  it('sleeps long while the finish is far, and densely near the estimate', () => {
    // 500 documents at 1 per 2 s: done at 1000 s of running.
    const rate = (t: number) => t / 2_000;
    const early = running(500, 5_000, 200_000, rate);
    const near = running(500, 5_000, 990_000, rate);
    const last = running(500, 1_000, 997_000, rate);
    expect(delayFor(early)).toBeGreaterThan(o.nearCapMs);
    expect(delayFor(near)).toBeLessThan(o.nearCapMs);
    expect(delayFor(last)).toBe(o.denseMs);
  });

  it('shortens its sleeps as the estimated finish approaches', () => {
    const rate = (t: number) => t / 2_000;
    const delays = [300_000, 500_000, 700_000, 900_000, 980_000].map((until) => delayFor(running(500, 5_000, until, rate)));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeLessThanOrEqual(delays[i - 1] ?? Infinity);
  });

  it('never sleeps past its own estimate, beyond the near interval', () => {
    for (const until of [100_000, 300_000, 600_000, 900_000, 995_000]) {
      const history = running(500, 5_000, until, (t) => t / 2_000);
      const progress = readProgress(history);
      const remaining = progress ? estimateRemainingMs(progress) : null;
      expect(remaining).not.toBeNull();
      expect(delayFor(history)).toBeLessThanOrEqual(Math.max(o.nearCapMs, remaining ?? 0));
    }
  });

  it('is not thrown by bursts: a consensus batch far from the end keeps the sleep long', () => {
    // 500 documents in batches of 50 every 60 s; three batches in.
    const history = running(500, 5_000, 185_000, (t) => 50 * Math.floor(t / 60_000));
    expect(delayFor(history)).toBeGreaterThan(o.nearCapMs);
  });

  it('corrects the estimate as the run slows down: a stall pushes the next poll out', () => {
    const steady = running(200, 5_000, 400_000, (t) => t / 2_500);
    const stalled = [...steady, poll(520_000, 'running', steady.at(-1)?.completed ?? 0, 200)];
    const before = estimateRemainingMs(readProgress(steady)!);
    const after = estimateRemainingMs(readProgress(stalled)!);
    expect(after).toBeGreaterThan(before ?? Infinity);
  });

  it('measures the rate from when the run was seen to start, or from the first poll when it was already running', () => {
    const seenStarting = [poll(0, 'queued', 0, 100), poll(10_000, 'queued', 0, 100), poll(20_000, 'running', 5, 100), poll(60_000, 'running', 25, 100)];
    expect(readProgress(seenStarting)).toMatchObject({ anchorMs: 15_000, anchorCompleted: 0, completed: 25, increments: 2 });
    const alreadyRunning = [poll(0, 'running', 40, 100), poll(30_000, 'running', 55, 100)];
    expect(readProgress(alreadyRunning)).toMatchObject({ anchorMs: 0, anchorCompleted: 40, completed: 55 });
    expect(estimateRemainingMs(readProgress(alreadyRunning)!)).toBe(90_000);
  });

  it('stays between the floor and the cap, whatever it observes', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const statuses = ['pending', 'queued', 'running', 'running', 'running'];
    for (let trial = 0; trial < 500; trial++) {
      const total = 1 + Math.floor(random() * 500);
      const history: PollRecord[] = [];
      let at = 0;
      let completed = 0;
      for (let i = 0; i < 1 + Math.floor(random() * 40); i++) {
        at += Math.floor(random() * 120_000);
        completed = Math.min(total, completed + (random() < 0.3 ? Math.floor(random() * total * 0.3) : 0));
        history.push(poll(at, statuses[Math.floor(random() * statuses.length)] ?? 'running', completed, total));
        const delay = delayFor(history);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(o.floorMs);
        expect(delay).toBeLessThanOrEqual(o.capMs);
      }
    }
  });

  it('takes its limits from the options', () => {
    const tight = adaptiveSchedule({ floorMs: 3_000, capMs: 4_000 });
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
