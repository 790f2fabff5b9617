/**
 * Everything the action knows at the end, in one value: what the outputs and the summary are
 * made from, on every outcome.
 */
import type { Cancellation } from '../start/cancel-run.js';
import { formatDuration } from '../common/duration.js';
import type { InputError } from '../common/errors.js';
import { judgeRegression, type BaselineJudgement, type Comparison, type RegressionPolicy } from '../verdict/regression.js';
import type { RunDetails } from '../details/run-details.js';
import type { StartedBy } from '../inputs/github-context.js';
import { RetabApiError } from '../retab/errors.js';
import { StartUnknownError } from '../start/run-adoption.js';
import type { StartOutcome } from '../start/start-run.js';
import type { ExperimentRun } from '../retab/run.js';
import { decideVerdict, errorCountOf, type Criteria, type ErrorCount, type Failure, type ResultsCount } from '../verdict/rules.js';
import type { WaitOutcome } from '../wait/wait.js';

export interface GateResult {
  /** The run's terminal status, or what stopped the wait: timed_out, interrupted, not_found, api_error, input_error, internal_error. */
  status: string;
  passed: boolean;
  failures: Failure[];
  runId: string | null;
  threshold: number | null;
  maxErrors: number | null;
  /** The latest run read, if any. */
  run: ExperimentRun | null;
  /** The run's error count as far as it is known, and where it comes from (see `errorCountOf`); absent without a run. */
  errors?: ErrorCount;
  /** How long the action waited, in milliseconds. */
  waitedMs: number | null;
  /** The metrics and per-document results read after the run finished (see `withRunDetails`). */
  details?: RunDetails | null;
  /** The run's score against the prior run's, and the `max_score_drop` applied. */
  comparison?: Comparison | null;
  /** Set when this action started the run (`experiment_id`): which workflow run did. */
  startedBy?: StartedBy;
  /** Set when the action tried (or was told not) to cancel the run it started. */
  cancellation?: Cancellation;
}

/** `results`: what the per-document results said about errors, for a run that gives no `error_count`. */
export function resultFromWait(outcome: WaitOutcome, criteria: Criteria, results: ResultsCount = null): GateResult {
  // Only a completed run is judged on its errors.
  const errors = outcome.kind === 'finished' && outcome.run.status === 'completed' ? errorCountOf(outcome.run, results) : undefined;
  const verdict = decideVerdict(outcome, criteria, errors);
  return {
    status: gateStatus(outcome, verdict.failures),
    passed: verdict.passed,
    failures: verdict.failures,
    runId: criteria.runId,
    threshold: criteria.threshold,
    maxErrors: criteria.maxErrors,
    run: outcome.run,
    ...(errors ? { errors } : {}),
    waitedMs: outcome.elapsedMs,
  };
}

/**
 * The result's error count: as the verdict used it, else from the run alone; null without a run,
 * or when a run that did not complete gave none (nothing was checked, so nothing to show).
 */
export function errorsOf(result: Pick<GateResult, 'run' | 'errors'>): ErrorCount | null {
  if (result.errors) return result.errors;
  if (!result.run || (result.run.error_count === null && result.run.status !== 'completed')) return null;
  return errorCountOf(result.run, null);
}

/** Whether reads of the report were cut because another experiment failed first (`fail_fast`). */
export function readsCut(result: Pick<GateResult, 'details'>): boolean {
  return result.details?.metrics.state === 'cut' || result.details?.results.state === 'cut';
}

export function resultFromInputErrors(errors: InputError[], partial: { runId: string; threshold: number | null; maxErrors: number | null }): GateResult {
  const failures = errors.map((error): Failure => ({ rule: 'input_error', message: error.message }));
  return stoppedBeforeRun('input_error', failures, { ...partial, runId: partial.runId || null }, null);
}

/** A result without a run read: the gate stopped before (or instead of) waiting. */
function stoppedBeforeRun(status: string, failures: Failure[], criteria: { runId: string | null; threshold: number | null; maxErrors: number | null }, waitedMs: number | null): GateResult {
  return { status, passed: false, failures, runId: criteria.runId, threshold: criteria.threshold, maxErrors: criteria.maxErrors, run: null, waitedMs };
}

/**
 * The flow stopped on an error it does not expect (a bug, or an HTTP client that could not be set
 * up). Reported like an API error, so the outputs and the summary are still written.
 */
/** The gate could not run: the HTTP client could not be set up (`api_error`), or a bug (`internal_error`). */
export function resultFromUnexpectedError(
  kind: 'api_error' | 'internal_error',
  message: string,
  criteria: { runId: string | null; threshold: number; maxErrors: number },
): GateResult {
  return stoppedBeforeRun(kind, [{ rule: kind, message }], criteria, null);
}

function gateStatus(outcome: WaitOutcome, failures: Failure[]): string {
  switch (outcome.kind) {
    case 'finished':
      return outcome.run.status;
    case 'failed':
      return failures[0]?.rule === 'not_found' ? 'not_found' : 'api_error';
    default:
      return outcome.kind;
  }
}

/** A run of `experimentId` could not be started (or found) before the wait could begin. */
export function resultFromStartFailure(
  outcome: Exclude<StartOutcome, { kind: 'started' }>,
  criteria: { experimentId: string; workflowId: string | null; threshold: number; maxErrors: number; timeoutMs: number },
): GateResult {
  const experiment = `experiment ${criteria.experimentId}${criteria.workflowId ? ` (workflow ${criteria.workflowId})` : ''}`;
  const last = outcome.kind !== 'failed' && outcome.lastError ? `; the last attempt failed: ${outcome.lastError.message}` : '';
  let status: string;
  let failure: Failure;
  switch (outcome.kind) {
    case 'failed': {
      const { error } = outcome;
      if (error instanceof RetabApiError && error.status === 404) {
        status = 'not_found';
        const check = criteria.workflowId ? '`experiment_id` and `workflow_id`' : '`experiment_id`';
        failure = { rule: 'not_found', message: `could not start a run: ${experiment} not found: ${error.message}. Check ${check} and that the key belongs to the environment that owns the experiment` };
      } else if (error instanceof StartUnknownError) {
        // Its message already names the experiment and what to check.
        status = 'api_error';
        failure = { rule: 'api_error', message: error.message };
      } else {
        status = 'api_error';
        failure = { rule: 'api_error', message: `could not start a run of ${experiment}: ${error.message}` };
      }
      break;
    }
    case 'timed_out':
      status = 'timed_out';
      failure = { rule: 'timed_out', message: `no run of ${experiment} could be started within the timeout of ${formatDuration(criteria.timeoutMs)}${last}` };
      break;
    case 'interrupted':
      status = 'interrupted';
      failure = { rule: 'interrupted', message: `starting a run of ${experiment} was interrupted (the job was cancelled) after ${formatDuration(outcome.elapsedMs)}` };
      break;
  }
  const runId = outcome.kind === 'failed' ? null : (outcome.orphan?.id ?? null);
  return stoppedBeforeRun(status, [failure], { ...criteria, runId }, outcome.elapsedMs);
}

/** The gate result with the details read after the run, the comparison, and the regression rule applied. */
export function withRunDetails(result: GateResult, details: RunDetails | null, policy: RegressionPolicy, baseline: BaselineJudgement | null = null): GateResult {
  const { comparison, failure } = judgeRegression(details, policy, result.status, baseline);
  const failures = failure ? [...result.failures, failure] : result.failures;
  return { ...result, details, comparison, failures, passed: failures.length === 0 };
}
