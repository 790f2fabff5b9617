/**
 * Does the run pass? A pure function of the wait's outcome and the settings. Every failing rule
 * is named with its figures.
 */
import { formatDuration } from '../common/duration.js';
import { formatScore } from '../common/format.js';
import { RetabApiError } from '../retab/errors.js';
import type { ExperimentRun } from '../retab/run.js';
import type { WaitOutcome } from '../wait/wait.js';

export type Rule =
  | 'run_error'
  | 'run_cancelled'
  | 'timed_out'
  | 'interrupted'
  | 'api_error'
  | 'internal_error'
  | 'not_found'
  | 'no_score'
  | 'score_below_threshold'
  | 'too_many_errors'
  | 'errors_unknown'
  | 'score_regressed'
  | 'comparison_unavailable'
  | 'input_error';

export interface Failure {
  rule: Rule;
  message: string;
}

export interface Verdict {
  passed: boolean;
  failures: Failure[];
}

export interface Criteria {
  runId: string;
  threshold: number;
  maxErrors: number;
  timeoutMs: number;
}

/**
 * How many errors the run had, and where the figure comes from. Unknown is never taken for zero:
 * a run without `error_count` takes the errored documents counted in its per-document results.
 */
export type ErrorCount =
  | { known: true; count: number; source: 'run' | 'results'; runSaid?: number }
  /** `cut`: the results were not read because another experiment failed first (`fail_fast`), so `max_errors` is not checked rather than failed. */
  | { known: false; why: string; cut?: true };

/** What the per-document results said, for `errorCountOf`: how many errored, why they could not be read, or why they were not (`fail_fast`). */
export type ResultsCount = { errored: number } | { unreadable: string } | { cut: string } | null;

export function errorCountOf(run: ExperimentRun, results: ResultsCount): ErrorCount {
  const counted = results && 'errored' in results ? results.errored : null;
  // More errored documents listed than the run admits (a count not yet aggregated, a default 0): the larger figure.
  if (run.error_count !== null && counted !== null && counted > run.error_count) return { known: true, count: counted, source: 'results', runSaid: run.error_count };
  if (run.error_count !== null) return { known: true, count: run.error_count, source: 'run' };
  if (counted !== null) return { known: true, count: counted, source: 'results' };
  if (results && 'cut' in results) return { known: false, why: `Retab gave no \`error_count\` for run ${run.id} and its per-document results were not read (${results.cut})`, cut: true };
  const why = results && 'unreadable' in results ? `and its per-document results could not be read (${results.unreadable})` : 'and its per-document results were not read';
  return { known: false, why: `Retab gave no \`error_count\` for run ${run.id} ${why}` };
}

/** `errors` is the run's error count as far as it is known; from the run alone when not given. */
export function decideVerdict(outcome: WaitOutcome, criteria: Criteria, errors?: ErrorCount): Verdict {
  const failures = findFailures(outcome, criteria, errors);
  return { passed: failures.length === 0, failures };
}

function findFailures(outcome: WaitOutcome, criteria: Criteria, knownErrors?: ErrorCount): Failure[] {
  const { runId } = criteria;
  switch (outcome.kind) {
    case 'interrupted':
      return [{ rule: 'interrupted', message: `the wait for run ${runId} was interrupted (the job was cancelled) after ${formatDuration(outcome.elapsedMs)}` }];
    case 'timed_out': {
      const status = outcome.run ? `; it was still ${outcome.run.status}` : '';
      const last = outcome.lastError ? `; the last attempt failed: ${outcome.lastError.message}` : '';
      return [{ rule: 'timed_out', message: `run ${runId} did not finish within the timeout of ${formatDuration(criteria.timeoutMs)}${status}${last}` }];
    }
    case 'failed': {
      const { error } = outcome;
      if (error instanceof RetabApiError && error.status === 404) {
        return [{ rule: 'not_found', message: `run ${runId} not found: ${error.message}. Check \`run_id\` and that the key belongs to the environment that owns the run` }];
      }
      return [{ rule: 'api_error', message: `could not read run ${runId}: ${error.message}` }];
    }
    case 'finished':
      break;
  }

  const { run } = outcome;
  if (run.status === 'error') {
    return [{ rule: 'run_error', message: `run ${runId} ended with status error: ${run.message ?? 'no message given'}${errorWhere(run)}` }];
  }
  if (run.status === 'cancelled') {
    return [{ rule: 'run_cancelled', message: `run ${runId} was cancelled: ${run.reason ?? 'no reason given'}` }];
  }

  const failures: Failure[] = [];
  if (run.score === null) {
    failures.push({ rule: 'no_score', message: `run ${runId} completed without a score` });
  } else if (run.score < criteria.threshold) {
    failures.push({
      rule: 'score_below_threshold',
      message: `score ${distinctScore(run.score, criteria.threshold)} is below the threshold ${formatScore(criteria.threshold)}`,
    });
  }
  const errors = knownErrors ?? errorCountOf(run, null);
  if (!errors.known) {
    // Not read because another experiment failed first: not checked, and not this run's failure (`fail_fast` blames only who failed).
    if (!errors.cut) failures.push({ rule: 'errors_unknown', message: `the number of errors is unknown: ${errors.why}, so \`max_errors\` cannot be checked` });
  } else if (errors.count > criteria.maxErrors) {
    const counted =
      errors.source === 'run' ? '' : ` (counted in the per-document results: the run ${errors.runSaid === undefined ? 'gave no `error_count`' : `says ${errors.runSaid}`})`;
    failures.push({
      rule: 'too_many_errors',
      message: `${errors.count} ${errors.count === 1 ? 'error' : 'errors'} occurred${counted}; at most ${criteria.maxErrors} allowed (\`max_errors\`)`,
    });
  }
  return failures;
}

/** " (error code BLOCK_FAILED, in block Extract invoice)": what a user needs to find the failure. */
export function errorWhere(run: Pick<ExperimentRun, 'error_code' | 'block_name'>): string {
  const parts = [run.error_code && `error code ${run.error_code}`, run.block_name && `in block ${run.block_name}`].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}


/** A score shown in full when rounding would make it look equal to the figure it is compared with. */
function distinctScore(score: number, other: number): string {
  return formatScore(score) === formatScore(other) ? String(score) : formatScore(score);
}
