/**
 * The trend: the experiment's recent completed runs (the runs list, newest first, one page), as a
 * Unicode sparkline with the first and last scores, so a reviewer sees at a glance whether this
 * run continues a slide. Plain text: it renders the same in the job summary and a comment.
 */
import { messageOf } from '../common/errors.js';
import type { ExperimentRun } from '../retab/run.js';
import { parseServerTime } from '../start/run-adoption.js';

/** Runs asked for: one page of the runs list. */
export const TREND_RUNS = 20;
const BARS = '▁▂▃▄▅▆▇█';

export interface TrendPoint {
  id: string;
  score: number;
  created_at: string | null;
}

export interface Trend {
  state: 'ok';
  /** Completed runs with a score created up to this run, oldest first by `created_at`, this run last when it completed. */
  points: TrendPoint[];
  sparkline: string;
  min: number;
  max: number;
}

export interface TrendUnavailable {
  state: 'missing' | 'failed';
  message: string;
}

/** One bar per value, scaled between the lowest and the highest; all the same height when they are equal. */
export function sparkline(values: number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((value) => BARS[max === min ? 3 : Math.round(((value - min) / (max - min)) * (BARS.length - 1))]).join('');
}

/**
 * The trend from the runs list and the gated run, which the list may not show yet. In time order by
 * `created_at`, whatever order the list came in, and only runs created up to the gated run: with an
 * older `run_id`, the runs after it are not its history. A run without a creation time cannot be
 * placed, so it is left out.
 */
export function trendOf(recent: ExperimentRun[], current: ExperimentRun): Trend | TrendUnavailable {
  const until = createdAt(current);
  if (until === null) return { state: 'missing', message: 'the run gives no creation time, so its place among the runs of the experiment is unknown' };
  // Only this experiment's: a list that ignored the filter must not draw someone else's runs.
  const earlier = recent
    .filter((run) => run.experiment_id === current.experiment_id && run.status === 'completed' && run.score !== null && run.id !== current.id)
    .map((run) => ({ run, at: createdAt(run) }))
    .filter((entry): entry is { run: ExperimentRun; at: number } => entry.at !== null && entry.at <= until);
  // The list is newest first: reversed, runs created at the same moment stay oldest first under the stable sort.
  earlier.reverse().sort((a, b) => a.at - b.at);
  const points: TrendPoint[] = earlier.map(({ run }) => ({ id: run.id, score: run.score as number, created_at: run.created_at }));
  if (current.status === 'completed' && current.score !== null) points.push({ id: current.id, score: current.score, created_at: current.created_at });
  if (points.length < 2) return { state: 'missing', message: 'fewer than 2 completed runs of the experiment have a score' };
  const scores = points.map((point) => point.score);
  return { state: 'ok', points, sparkline: sparkline(scores), min: Math.min(...scores), max: Math.max(...scores) };
}

/** Epoch milliseconds of a run's creation (a time without a zone is UTC), or null when it gives none that reads as a time. */
function createdAt(run: ExperimentRun): number | null {
  const at = run.created_at === null ? NaN : parseServerTime(run.created_at);
  return Number.isFinite(at) ? at : null;
}

export async function readTrend(
  listRecentRuns: (experimentId: string, limit: number, signal: AbortSignal) => Promise<ExperimentRun[]>,
  current: ExperimentRun,
  signal: AbortSignal,
): Promise<Trend | TrendUnavailable> {
  if (!current.experiment_id) return { state: 'missing', message: 'the run does not say which experiment it belongs to' };
  try {
    return trendOf(await listRecentRuns(current.experiment_id, TREND_RUNS, signal), current);
  } catch (error) {
    return { state: 'failed', message: `could not list the recent runs of experiment ${JSON.stringify(current.experiment_id.slice(0, 200))}: ${messageOf(error)}` };
  }
}
