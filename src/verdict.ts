/**
 * Does the run pass? A pure function of the wait's outcome and the settings. Every failing rule
 * is named with its figures.
 */
import { formatDuration } from './duration.js';
import { RetabApiError } from './retab/errors.js';
import type { WaitOutcome } from './wait.js';

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

export function decideVerdict(outcome: WaitOutcome, criteria: Criteria): Verdict {
  const failures = findFailures(outcome, criteria);
  return { passed: failures.length === 0, failures };
}

function findFailures(outcome: WaitOutcome, criteria: Criteria): Failure[] {
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
    return [{ rule: 'run_error', message: `run ${runId} ended with status error: ${run.message ?? 'no message given'}` }];
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
  if (run.error_count > criteria.maxErrors) {
    failures.push({
      rule: 'too_many_errors',
      message: `${run.error_count} ${run.error_count === 1 ? 'error' : 'errors'} occurred; at most ${criteria.maxErrors} allowed (\`max_errors\`)`,
    });
  }
  return failures;
}

/** Scores with as many decimals as they need, up to four: 0.87, 0.8, 0.8765. */
export function formatScore(score: number): string {
  return String(Number(score.toFixed(4)));
}

/** A score shown in full when rounding would make it look equal to the figure it is compared with. */
function distinctScore(score: number, other: number): string {
  return formatScore(score) === formatScore(other) ? String(score) : formatScore(score);
}
