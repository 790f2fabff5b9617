/**
 * How long to sleep before the next poll: a pure function of what has been observed so far.
 */
import type { ExperimentRun } from './retab/run.js';

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
  /** No sleep is shorter. */
  floorMs: number;
  /** No sleep is longer. */
  capMs: number;
  /** The shortest interval near the estimated finish, and the interval once every document is done. */
  denseMs: number;
  /** Near the estimated finish: sleep this share of the time left, from `denseMs` up to `nearCapMs`. */
  nearShare: number;
  nearCapMs: number;
  /** While pending or queued: sleep this share of the time waited so far, at most `queueCapMs`. */
  queueShare: number;
  queueCapMs: number;
  /** While running with no progress to go on: sleep this share of the running time seen, at most `blindCapMs`. */
  blindShare: number;
  blindCapMs: number;
  /** The rate is also measured over this latest share of the running time, and the faster rate is used. */
  recentShare: number;
  /** Sleep this share of the time left before the earliest plausible finish. */
  approachShare: number;
  /** The least uncertainty granted to any estimate, as a share of the time left... */
  minUncertainty: number;
  /** ...plus this over the square root of the increments seen, and this over that of the documents left. */
  evidenceWeight: number;
  leftWeight: number;
  /** When progress is overdue (a stall or a slow tail): sleep this share of the stall, at most `stallCapMs`. */
  stallShare: number;
  stallCapMs: number;
}

export const ADAPTIVE_DEFAULTS: Readonly<AdaptiveOptions> = {
  floorMs: 1_000,
  capMs: 60_000,
  denseMs: 2_000,
  nearShare: 0.1,
  nearCapMs: 8_000,
  queueShare: 0.4,
  queueCapMs: 15_000,
  blindShare: 0.1,
  blindCapMs: 20_000,
  recentShare: 0.25,
  approachShare: 0.6,
  minUncertainty: 0.1,
  evidenceWeight: 1,
  leftWeight: 0.5,
  stallShare: 0.15,
  stallCapMs: 6_000,
};

const RUNNING = 'running';

/** The progress seen since the run was seen running: moments (ms since the wait began) and counts. */
export interface ProgressReading {
  /** Where the rate is measured from. */
  anchorMs: number;
  anchorCompleted: number;
  nowMs: number;
  completed: number;
  total: number;
  /** When the current count was reached: midway between the poll that first showed it and the one before. */
  changedAtMs: number;
  /** How many polls saw the count go up: bursts count once, so this is the evidence the rate rests on. */
  increments: number;
  /** The rate over the latest stretch (documents per ms), or null when nothing moved in it. */
  recentRate: number | null;
}

/**
 * What the history says about the run's progress. The anchor is the moment the run was seen to start
 * running (at count 0, midway between the last poll before and the first poll after) or, when it was
 * already running at the first poll, that poll. Null while there is nothing to measure (not running,
 * or no document count).
 */
export function readProgress(history: readonly PollRecord[], recentShare: number = ADAPTIVE_DEFAULTS.recentShare): ProgressReading | null {
  const last = history.at(-1);
  if (!last || last.status !== RUNNING || last.total === null || last.completed === null || last.total <= 0) return null;
  const firstRunning = history.findIndex((record) => record.status === RUNNING);
  const first = history[firstRunning];
  if (!first) return null;
  const before = history[firstRunning - 1];
  const anchorMs = before === undefined ? first.atMs : (before.atMs + first.atMs) / 2;
  const anchorCompleted = Math.min(before === undefined ? (first.completed ?? 0) : 0, last.completed);

  let increments = 0;
  let changedAtMs = anchorMs;
  let previousCount = anchorCompleted;
  let recentFrom: PollRecord | null = null;
  const recentStart = last.atMs - recentShare * (last.atMs - anchorMs);
  for (let i = firstRunning; i < history.length; i++) {
    const record = history[i];
    if (!record) continue;
    const count = record.completed ?? previousCount;
    if (count > previousCount) {
      increments += 1;
      const prior = history[i - 1];
      changedAtMs = prior && i > firstRunning ? (prior.atMs + record.atMs) / 2 : record.atMs;
    }
    previousCount = Math.max(previousCount, count);
    if (recentFrom === null && record.atMs >= recentStart) recentFrom = record;
  }
  const completed = Math.min(last.completed, last.total);
  const recentDone = recentFrom ? completed - (recentFrom.completed ?? completed) : 0;
  const recentSpan = recentFrom ? last.atMs - recentFrom.atMs : 0;
  return {
    anchorMs,
    anchorCompleted,
    nowMs: last.atMs,
    completed,
    total: last.total,
    changedAtMs,
    increments,
    recentRate: recentDone > 0 && recentSpan > 0 ? recentDone / recentSpan : null,
  };
}

/**
 * The estimated milliseconds from now until the last document is done: the documents left over the
 * faster of the average rate since the anchor (steady under bursts; a stall lowers it as it lasts)
 * and the rate over the latest stretch (catches a run that speeds up). Null before any progress.
 */
export function estimateRemainingMs(progress: ProgressReading): number | null {
  const done = progress.completed - progress.anchorCompleted;
  const span = progress.nowMs - progress.anchorMs;
  if (done <= 0 || span <= 0) return null;
  const rate = Math.max(done / span, progress.recentRate ?? 0);
  return (progress.total - progress.completed) / rate;
}

/**
 * How far off the estimate may be, as a share of the time left: less as more increments were seen
 * (the rate is known better) and as more documents are left (they average out), never below `floor`.
 */
export function uncertainty(progress: ProgressReading, o: Pick<AdaptiveOptions, 'minUncertainty' | 'evidenceWeight' | 'leftWeight'> = ADAPTIVE_DEFAULTS): number {
  // Documents left, counted in the increments they have been coming in (a batch is one).
  const perIncrement = Math.max(1, (progress.completed - progress.anchorCompleted) / Math.max(1, progress.increments));
  const left = (progress.total - progress.completed) / perIncrement;
  return Math.min(1, o.minUncertainty + o.evidenceWeight / Math.sqrt(Math.max(1, progress.increments)) + o.leftWeight / Math.sqrt(Math.max(1, left)));
}

/**
 * The schedule used when `poll_interval` is empty. Quick polls at the start and while the run waits
 * in the queue; then, from the progress reported, an estimate of when the last document is done,
 * corrected at every poll: long sleeps while even the earliest plausible finish is far, dense polls
 * around and after it, easing off while progress is overdue.
 */
export function adaptiveSchedule(options: Partial<AdaptiveOptions> = {}): PollSchedule {
  const o: AdaptiveOptions = { ...ADAPTIVE_DEFAULTS, ...options };
  const clamp = (ms: number, high = o.capMs) => Math.round(Math.min(o.capMs, high, Math.max(o.floorMs, ms)));

  return ({ history }) => {
    const first = history[0];
    const last = history.at(-1);
    if (!first || !last) return o.floorMs;
    if (last.status !== RUNNING) {
      // Pending, queued (or a status we don't know): quick at first, easing off as the queue lasts.
      return clamp(o.queueShare * (last.atMs - first.atMs), o.queueCapMs);
    }
    const progress = readProgress(history, o.recentShare);
    if (!progress) return clamp(o.blindShare * (last.atMs - first.atMs), o.blindCapMs);
    if (progress.completed >= progress.total) return clamp(o.denseMs);
    const runningFor = progress.nowMs - progress.anchorMs;
    const remaining = estimateRemainingMs(progress);
    if (remaining === null) return clamp(o.blindShare * runningFor, o.blindCapMs);

    // Progress overdue: more than twice the usual gap between increments without one.
    const stalledFor = progress.nowMs - progress.changedAtMs;
    const usualGap = runningFor / Math.max(1, progress.increments);
    const stallSleep = stalledFor > 2 * usualGap ? Math.min(o.stallCapMs, o.stallShare * stalledFor) : 0;

    const untilEarliest = remaining * (1 - uncertainty(progress, o));
    const near = Math.min(o.nearCapMs, Math.max(o.denseMs, o.nearShare * remaining));
    return clamp(Math.max(near, stallSleep, o.approachShare * untilEarliest));
  };
}

/** What the action uses when `poll_interval` is empty. */
export const defaultSchedule: PollSchedule = adaptiveSchedule();
