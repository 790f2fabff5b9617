/**
 * How long to sleep before the next poll: a pure function of what has been observed so far.
 *
 * The model, in a paragraph. Every sleep lies between `quickestMs` (Retab's CLI polls every 2 s, so
 * no run costs more requests than that) and `unforeseenMs` (an end nothing announces, such as an
 * error, a cancellation or a run that reports no counts, is noticed within it). In between: when the
 * documents done give a pace, the run is expected to end when the documents left are done at that
 * pace, counted from the latest rise of the count; the schedule sleeps `paceShare` of that time, so
 * an estimate up to twice too long still polls before the end. The pace is the faster of the latest
 * rise's and the one over the latest half of the running time, so a speed-up shows at once. When
 * every document left could come in one rise (no more are left than the largest rise seen: the last
 * consensus batch, the last documents of a tiny run), the end may come at any poll, and no sleep is
 * longer than `foreseenMs`. With nothing to go on (queued, running with no count or no progress
 * yet, or later than the pace said), it sleeps `blindShare` of the time the run has spent in that
 * state: the longer a state has lasted, the longer it is likely to last.
 */
import type { ExperimentRun } from '../retab/run.js';

/** One successful read of the run, as the wait saw it. */
export interface PollRecord {
  /** Milliseconds since the wait began, when the answer arrived. */
  atMs: number;
  status: string;
  completed: number | null;
  total: number | null;
}

export interface Observation {
  /** Milliseconds since the wait began. */
  elapsedMs: number;
  /** The latest run read, if any. */
  run: ExperimentRun | null;
  /** Every successful read so far, oldest first (the latest is `run`). */
  history: readonly PollRecord[];
}

export type PollSchedule = (observation: Observation) => number;

export function fixedSchedule(intervalMs: number): PollSchedule {
  return () => intervalMs;
}

export interface AdaptiveOptions {
  /** No sleep is shorter: no run costs more requests than polling at this fixed interval. */
  quickestMs: number;
  /** No sleep is longer: an end nothing announces (error, cancellation, no counts) is noticed within this. */
  unforeseenMs: number;
  /** The longest sleep while the end may come with the next rise of the count. */
  foreseenMs: number;
  /** The share of the time the pace says is left that is slept: 1/2 polls before the end for an estimate up to 2x too long. */
  paceShare: number;
  /** With nothing to go on, the share of the time spent in the current state that is slept. */
  blindShare: number;
}

export const ADAPTIVE_DEFAULTS: Readonly<AdaptiveOptions> = {
  quickestMs: 2_000,
  unforeseenMs: 15_000,
  foreseenMs: 5_000,
  paceShare: 1 / 2,
  blindShare: 1 / 8,
};

const RUNNING = 'running';

/** What the polls since the run was seen running say about its progress. */
export interface ProgressReading {
  /** When the run was seen to start running (ms since the wait began). */
  startedMs: number;
  nowMs: number;
  /** The latest count (it may have gone back) and the total. */
  completed: number;
  total: number;
  /** The latest poll that saw the count rise above every count before it, or null before any rise. */
  lastRiseMs: number | null;
  /** The largest rise seen between two polls. */
  largestRise: number;
  /** Documents per ms: the faster of the latest rise's pace and the pace over the latest half of the running time. */
  pace: number | null;
}

/**
 * What the history says about the run's progress, or null while there is nothing to read (not
 * running, or no document count). A rise is a poll whose count is above every count seen before, by
 * what it is above them: a count that goes back and climbs again is not counted twice.
 */
export function readProgress(history: readonly PollRecord[]): ProgressReading | null {
  const last = history.at(-1);
  if (!last || last.status !== RUNNING || last.total === null || last.completed === null || last.total <= 0) return null;
  const firstRunning = history.findIndex((record) => record.status === RUNNING);
  const first = history[firstRunning];
  if (!first) return null;
  const before = history[firstRunning - 1];
  // Seen starting (queued, then running): it started between the two polls, at count 0.
  const startedMs = before === undefined ? first.atMs : (before.atMs + first.atMs) / 2;
  const rises: Array<{ atMs: number; highest: number; size: number }> = [{ atMs: startedMs, highest: before === undefined ? (first.completed ?? 0) : 0, size: 0 }];
  for (const record of history.slice(firstRunning)) {
    const highest = rises.at(-1)?.highest ?? 0;
    if (record.completed !== null && record.completed > highest) rises.push({ atMs: record.atMs, highest: record.completed, size: record.completed - highest });
  }
  const latest = rises.at(-1);
  const previous = rises.at(-2);
  if (!latest || !previous) return { startedMs, nowMs: last.atMs, completed: last.completed, total: last.total, lastRiseMs: null, largestRise: 0, pace: null };

  const paceOf = (from: { atMs: number; highest: number }) => (latest.atMs > from.atMs ? (latest.highest - from.highest) / (latest.atMs - from.atMs) : 0);
  const halfway = (startedMs + latest.atMs) / 2;
  const halfFrom = rises.findLast((rise) => rise.atMs <= halfway) ?? previous;
  return {
    startedMs,
    nowMs: last.atMs,
    completed: last.completed,
    total: last.total,
    lastRiseMs: latest.atMs,
    largestRise: Math.max(...rises.map((rise) => rise.size)),
    pace: Math.max(paceOf(previous), paceOf(halfFrom)) || null,
  };
}

/** How long the pace says the run still takes, from now: negative when it is later than the pace said. Null without a pace. */
export function expectedRemainingMs(progress: ProgressReading): number | null {
  if (progress.pace === null || progress.lastRiseMs === null) return null;
  const left = Math.max(0, progress.total - progress.completed);
  return left / progress.pace - (progress.nowMs - progress.lastRiseMs);
}

/**
 * The schedule used when `poll_interval` is empty (the model is in this file's header).
 */
export function adaptiveSchedule(options: Partial<AdaptiveOptions> = {}): PollSchedule {
  const o: AdaptiveOptions = { ...ADAPTIVE_DEFAULTS, ...options };
  const clamp = (ms: number, longest = o.unforeseenMs) => Math.round(Math.min(o.unforeseenMs, longest, Math.max(o.quickestMs, ms)));
  const blind = (sinceMs: number, longest?: number) => clamp(o.blindShare * sinceMs, longest);

  return ({ history }) => {
    const last = history.at(-1);
    if (!last) return o.quickestMs;
    // How long the run has been waiting (pending, queued, or a status not known) or running.
    const running = last.status === RUNNING;
    let since = history.length - 1;
    while (since > 0 && (history[since - 1]?.status === RUNNING) === running) since -= 1;
    const inStatusMs = last.atMs - (history[since]?.atMs ?? last.atMs);
    if (!running) return blind(inStatusMs);
    const progress = readProgress(history);
    if (!progress || progress.lastRiseMs === null) return blind(inStatusMs); // no count, or no progress yet

    const left = progress.total - progress.completed;
    if (left <= 0) return clamp(o.quickestMs); // every document done: scoring takes seconds
    const longest = left <= progress.largestRise ? o.foreseenMs : o.unforeseenMs;
    const remaining = expectedRemainingMs(progress);
    if (remaining === null || remaining <= 0) return blind(progress.nowMs - progress.lastRiseMs, longest); // later than the pace said
    return clamp(o.paceShare * remaining, longest);
  };
}

/** What the action uses when `poll_interval` is empty. */
export const defaultSchedule: PollSchedule = adaptiveSchedule();
