/**
 * How long to sleep before the next poll: a pure function of what has been observed so far.
 */
import type { ExperimentRun } from './retab/run.js';

export interface Observation {
  /** Milliseconds since the wait began. */
  elapsedMs: number;
  /** The latest run read, if any. */
  run: ExperimentRun | null;
}

export type PollSchedule = (observation: Observation) => number;

export function fixedSchedule(intervalMs: number): PollSchedule {
  return () => intervalMs;
}

/** Quick polls at first, slower as the wait grows long. */
export const defaultSchedule: PollSchedule = ({ elapsedMs }) => {
  if (elapsedMs < 10_000) return 1_000;
  if (elapsedMs < 60_000) return 2_000;
  if (elapsedMs < 5 * 60_000) return 5_000;
  return 10_000;
};
