/** When to log a progress line, and what it says: on change, and at least every ~30 s. */
import { formatDuration } from '../common/duration.js';
import type { ExperimentRun } from '../retab/run.js';

export const PROGRESS_HEARTBEAT_MS = 30_000;

export interface LoggedProgress {
  status: string;
  completed: number | null;
  atMs: number;
}

export function shouldLogProgress(last: LoggedProgress | null, run: ExperimentRun, elapsedMs: number): boolean {
  if (!last) return true;
  if (last.status !== run.status || last.completed !== run.completed_document_count) return true;
  return elapsedMs - last.atMs >= PROGRESS_HEARTBEAT_MS;
}

export function progressLine(run: ExperimentRun, elapsedMs: number): string {
  const documents =
    run.total_document_count === null
      ? ''
      : `, ${run.completed_document_count ?? 0}/${run.total_document_count} documents`;
  return `Run ${run.id}: ${run.status}${documents}, ${formatDuration(elapsedMs)} elapsed`;
}
