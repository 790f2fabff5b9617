/**
 * Everything the action knows at the end, in one value: what the outputs and the summary are
 * made from, on every outcome.
 */
import type { InputError } from './errors.js';
import type { Comparison } from './regression.js';
import type { RunDetails } from './run-details.js';
import type { ExperimentRun } from './retab/run.js';
import { decideVerdict, type Criteria, type Failure } from './verdict.js';
import type { WaitOutcome } from './wait.js';

export interface GateResult {
  /** The run's terminal status, or what stopped the wait: timed_out, interrupted, not_found, api_error, input_error. */
  status: string;
  passed: boolean;
  failures: Failure[];
  runId: string | null;
  threshold: number | null;
  maxErrors: number | null;
  /** The latest run read, if any. */
  run: ExperimentRun | null;
  /** How long the action waited, in milliseconds. */
  waitedMs: number | null;
  /** The metrics and per-document results read after the run finished (see `withRunDetails`). */
  details?: RunDetails | null;
  /** The run's score against the prior run's. */
  comparison?: Comparison | null;
  maxScoreDrop?: number | null;
}

export function resultFromWait(outcome: WaitOutcome, criteria: Criteria): GateResult {
  const verdict = decideVerdict(outcome, criteria);
  return {
    status: gateStatus(outcome, verdict.failures),
    passed: verdict.passed,
    failures: verdict.failures,
    runId: criteria.runId,
    threshold: criteria.threshold,
    maxErrors: criteria.maxErrors,
    run: outcome.run,
    waitedMs: outcome.elapsedMs,
  };
}

export function resultFromInputErrors(errors: InputError[], partial: { runId: string; threshold: number | null; maxErrors: number | null }): GateResult {
  return {
    status: 'input_error',
    passed: false,
    failures: errors.map((error) => ({ rule: 'input_error', message: error.message })),
    runId: partial.runId || null,
    threshold: partial.threshold,
    maxErrors: partial.maxErrors,
    run: null,
    waitedMs: null,
  };
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
